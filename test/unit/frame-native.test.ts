/**
 * ikelet/frame (hosts/native/frame, C) computes what its JS reference computes
 * (src/ppp/hdlc-bytes.ts, src/ip/checksum-words.ts): a Moddable project whose main module is
 * frame-native-main.ts goes through mcconfig, xsc and xsl as the ESP32 build does and is linked
 * as the Linux twin links it (scripts/xs-device.ts); it runs both on the same inputs in XS.
 * And the ESP32 build really takes those loops from ikelet/frame, not from the JS files.
 *
 * Runs when the Moddable SDK is here; skips otherwise, except under CI=true.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { buildDevice, DEVICE_TARGET } from '../../scripts/build-lib.ts';
import { moddableBuild } from '../../scripts/moddable-check.ts';
import { findModdableSdk } from '../../scripts/moddable-sdk.ts';
import { linkXsDevice } from '../../scripts/xs-device.ts';

const found = findModdableSdk();
const skip = !found.ok && process.env.CI !== 'true' ? `Moddable SDK unavailable: ${found.reason}` : false;

/** Runs the twin program until it prints "@frame done"; its "@frame" lines. */
function runTwin(binary: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--serial', '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let text = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('latin1').on('data', (d: string) => {
      text += d;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (line.startsWith('@frame ') || line.startsWith('@ikelet exception') || line.startsWith('@ikelet abort')) lines.push(line);
        if (line.startsWith('@frame done') || line.startsWith('@ikelet exception')) child.stdin.end('exit\n');
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(lines);
    });
    child.on('error', reject);
  });
}

test('ikelet/frame in the twin equals the JS reference: FCS-16/32, internet checksum words, HDLC escape and unescape', { skip, timeout: 300_000 }, async (t) => {
  assert.ok(found.ok, !found.ok ? found.reason : '');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-frame-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const project = path.join(work, 'src', 'frame-check');
  fs.mkdirSync(project, { recursive: true });
  fs.cpSync('hosts/native', path.join(project, 'native'), { recursive: true });
  await build({ entryPoints: ['test/unit/frame-native-main.ts'], outfile: path.join(project, 'main.js'), bundle: true, format: 'esm', platform: 'neutral', target: DEVICE_TARGET, external: ['ikelet/frame'], logLevel: 'silent' });
  fs.writeFileSync(path.join(project, 'manifest.json'), JSON.stringify({
    include: ['$(MODDABLE)/examples/manifest_base.json', './native/frame/manifest.json'],
    modules: { '*': ['./main'] },
    creation: { static: 0, chunk: { initial: 1 << 20, incremental: 0 }, heap: { initial: 65536, incremental: 0 }, stack: 4096, keys: { initial: 64, incremental: 0, name: 127, symbol: 7 }, main: 'main' },
    platforms: { esp32: {} },
  }));
  const binary = await linkXsDevice(found.sdk, moddableBuild(found.sdk, project, work), path.join(work, 'twin'));
  const lines = await runTwin(binary);
  for (const l of lines) t.diagnostic(l);
  assert.equal(lines.at(-1), '@frame done equal', lines.join('\n'));
  const counts = Object.fromEntries(lines.slice(0, -1).map((l) => l.split(' ')).map(([, name, cases, mismatches]) => [name, { cases: Number(cases), mismatches: Number(mismatches) }]));
  for (const name of ['exports', 'fcs16', 'fcs32', 'addWords', 'escapedLength', 'escapeInto', 'unescapeUntilFlag']) {
    assert.equal(counts[name]?.mismatches, 0, name);
    assert.ok(counts[name]!.cases >= (name === 'exports' ? 4 : 200), `${name}: ${counts[name]!.cases} cases`);
  }
});

test('the ESP32 build imports the per-byte loops from ikelet/frame; other builds bundle the JS', async () => {
  const config = { ikeProposals: ['chacha20poly1305-prfsha256-x25519'], espProposals: ['chacha20poly1305'] };
  const device = await buildDevice({ entry: 'src/index.ts', configured: { ...config, nativeFrame: true } });
  assert.match(device.readable, /from "ikelet\/frame"/);
  assert.doesNotMatch(device.readable, /function unescapeUntilFlag|function addWords|FCS16_TABLE/);
  const js = await buildDevice({ entry: 'src/index.ts', configured: config });
  assert.doesNotMatch(js.readable, /ikelet\/frame/);
  assert.match(js.readable, /function unescapeUntilFlag/);
});
