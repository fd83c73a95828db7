/**
 * A user's project (examples/telemetry, including ikelet's manifest) for the ESP32 variants that
 * cellular boards carry: -p esp32 (Xtensa), esp32/esp32s3 (Xtensa), esp32/esp32c3 and esp32/esp32c6
 * (RISC-V). Each goes through mcconfig, xsc/xsid and xsl (the C, and so the chips' UART and RNG
 * drivers, is ESP-IDF's and cannot be compiled here: hosts/esp32/README.md, "ESP32 variants").
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { findModdableSdk, REPO_ROOT } from '../../scripts/moddable-sdk.ts';
import { moddableBuild } from '../../scripts/moddable-check.ts';
import { ikeletTreeFor } from '../../scripts/user-project.ts';

const sdk = findModdableSdk();

test('examples/telemetry builds with the SDK\'s tools for esp32, esp32s3, esp32c3 and esp32c6', {
  skip: !sdk.ok && process.env.CI !== 'true' ? `Moddable SDK unavailable: ${sdk.reason}` : false,
  timeout: 10 * 60_000,
}, async (t) => {
  if (!sdk.ok) throw new Error(`CI=true and the Moddable SDK cannot be used: ${sdk.reason}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-variants-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const project = path.join(work, 'telemetry');
  fs.cpSync(path.join(REPO_ROOT, 'examples/telemetry'), project, { recursive: true });
  const { ikelet } = await ikeletTreeFor(project, work);
  for (const platform of ['esp32', 'esp32/esp32s3', 'esp32/esp32c3', 'esp32/esp32c6']) {
    const r = moddableBuild(sdk.sdk, project, path.join(work, platform.replace('/', '-')), { env: { IKELET: ikelet }, platform });
    for (const m of ['/ikelet.xsb', '/setup/ikelet.xsb', '/main.xsb', '/ikelet/uart.xsb', '/ikelet/random.xsb', '/ikelet/frame.xsb']) assert.ok(r.targets.some((f) => f.endsWith(m)), `${platform}: ${m.slice(1)} compiled`);
    assert.ok(r.xsl.instances > 0, `${platform}: xsl preloaded the project`);
    t.diagnostic(`${platform}: ${r.xsl.instances} instances preloaded, ${r.targets.length} modules`);
  }
});
