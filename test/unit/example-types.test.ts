/**
 * TypeScript users: examples/telemetry/main.js (// @ts-check) type-checks against the Moddable SDK's
 * own typings (timer, mc/config, XS's globals) and ikelet's declarations of device.network
 * (manifests/ikelet/ikelet.d.ts), as a TypeScript Moddable project would see them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { findModdableSdk, REPO_ROOT } from '../../scripts/moddable-sdk.ts';

const sdk = findModdableSdk();

function typeCheck(main: string, work: string): { status: number | null; output: string } {
  const typings = path.join(sdk.ok ? sdk.sdk.root : '', 'typings');
  const tsconfig = path.join(work, 'tsconfig.json');
  fs.writeFileSync(tsconfig, JSON.stringify({
    // The SDK's typings declare their modules ambiently ("timer", "mc/config"): listed, they resolve.
    compilerOptions: { target: 'ES2024', lib: ['ES2024'], module: 'preserve', moduleResolution: 'bundler', allowJs: true, checkJs: true, noEmit: true, strict: true, noImplicitAny: false, types: [] },
    files: [main, path.join(typings, '..', 'xs', 'includes', 'xs.d.ts'), path.join(typings, 'timer.d.ts'), path.join(typings, 'mc', 'config.d.ts'), path.join(REPO_ROOT, 'manifests/ikelet/ikelet.d.ts')],
  }));
  const r = spawnSync(path.join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', tsconfig], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('examples/telemetry/main.js type-checks with the SDK\'s typings and ikelet\'s device.network declarations', {
  skip: !sdk.ok && process.env.CI !== 'true' ? `Moddable SDK unavailable: ${!sdk.ok && sdk.reason}` : false,
}, (t) => {
  if (!sdk.ok) throw new Error(`CI=true and the Moddable SDK cannot be used: ${sdk.reason}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-example-types-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const good = typeCheck(path.join(REPO_ROOT, 'examples/telemetry/main.js'), work);
  assert.equal(good.status, 0, good.output);
  // The declarations have teeth: a status field that does not exist is an error.
  const bad = path.join(work, 'bad.js');
  fs.writeFileSync(bad, '// @ts-check\nimport network from "ikelet/network";\ntrace(network.ikelet.virtualIP);\n');
  const refused = typeCheck(bad, work);
  assert.notEqual(refused.status, 0);
  assert.match(refused.output, /virtualIP/);
});
