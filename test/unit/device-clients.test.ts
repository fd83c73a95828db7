/**
 * The ESP32 bundle carries only the app clients its manifest needs (src/app/clients-config.ts): the
 * template manifest (no broker, no firmware server) gets none of the MQTT, HTTP or firmware code;
 * mqttHost, firmwareHost and `clients` each bring theirs. hosts/esp32/main.ts reads APP_CLIENTS, so
 * it links whatever the bundle carries: the ESP32 build's Linux twin (hosts/xs-device, when the
 * Moddable SDK is here) boots with none and with all, and offers device.network.mqtt / .http only
 * when bundled (test/e2e/device-budget.test.ts runs the template's through the lab).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { buildEsp32 } from '../../scripts/build-esp32.ts';
import { findModdableSdk } from '../../scripts/moddable-sdk.ts';
import { buildXsDevice } from '../../scripts/xs-device.ts';
import { XsDeviceRun } from '../../hosts/xs-device/device.ts';
import type { AppClientName } from '../../src/app/clients-config.ts';

/** Each client's trace: a string of its own in the flashed bundle (and its class in the readable one). */
const FLASHED: Record<AppClientName, string> = {
  MQTTClient: 'mqtt-subscribe-refused',
  HTTPClient: 'HTTP/1.1',
  FirmwareFetcher: 'firmware-installed',
};
const classOf = (name: AppClientName) => new RegExp(`\\b(class ${name}|${name} = class)\\b`);

const BROKER = { mqttHost: 'broker.lab.example', mqttClientId: 'dev-1' };
const FIRMWARE = { firmwareHost: 'fw.lab.example', firmwareKeys: ['d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'] };

const CASES: [string, Record<string, unknown>, AppClientName[]][] = [
  ['the template manifest', {}, []],
  ['mqttHost', BROKER, ['MQTTClient']],
  ['clients ["mqtt"]', { clients: ['mqtt'] }, ['MQTTClient']],
  ['clients ["http"]', { clients: ['http'] }, ['HTTPClient']],
  ['firmwareHost', FIRMWARE, ['HTTPClient', 'FirmwareFetcher']],
  ['mqttHost and firmwareHost', { ...BROKER, ...FIRMWARE }, ['MQTTClient', 'HTTPClient', 'FirmwareFetcher']],
];

test('the ESP32 bundle carries exactly the app clients its manifest needs', async (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-device-clients-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const sizes: number[] = [];
  for (const [i, [what, config, expected]] of CASES.entries()) {
    const manifest = path.join(work, `manifest-${i}.json`);
    fs.writeFileSync(manifest, JSON.stringify({ config: { psk: 'device-clients-test-psk-0123456789', ...config } }));
    const { bundle } = await buildEsp32(manifest, path.join(work, `esp32-${i}`));
    for (const [name, flashed] of Object.entries(FLASHED) as [AppClientName, string][]) {
      const bundled = expected.includes(name);
      assert.equal(classOf(name).test(bundle.readable), bundled, `${what}: ${name} ${bundled ? 'bundled' : 'not bundled'}`);
      assert.equal(bundle.code.includes(flashed), bundled, `${what}: ${JSON.stringify(flashed)} ${bundled ? 'in' : 'not in'} ikelet.js`);
    }
    assert.match(bundle.readable, new RegExp(`APP_CLIENTS = Object\\.freeze\\(\\{${expected.length ? ` ${expected.join(', ')} ` : ''}\\}\\)`), `${what}: APP_CLIENTS names them`);
    sizes.push(bundle.code.length);
    t.diagnostic(`${what}: ${bundle.code.length} B minified (${expected.join(', ') || 'no app clients'})`);
  }
  assert.ok(sizes[0]! < sizes.at(-1)! - 30_000, `the app clients are more than 30 KB of flash: ${sizes[0]} B without, ${sizes.at(-1)} B with`);
});

const sdk = findModdableSdk();

/** The first line the program printed that matches, waiting up to `timeoutMs`. */
async function lineOf(run: XsDeviceRun, match: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = run.lines.find((l) => match.test(l));
    if (hit) return hit;
    if (!run.running || run.exceptions.length || Date.now() > deadline) throw new Error(`no line like ${match} (${run.exceptions.length ? `exception: ${run.exceptions[0]}` : run.running ? 'timed out' : 'the program ended'}); last lines:\n${run.lines.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the ESP32 main links and boots with whatever the bundle carries; device.network.mqtt / .http only when bundled', {
  skip: !sdk.ok && process.env.CI !== 'true' ? `Moddable SDK unavailable: ${sdk.reason}` : false,
  timeout: 10 * 60_000,
}, async (t) => {
  if (!sdk.ok) throw new Error(`CI=true and the Moddable SDK cannot be used: ${sdk.reason}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-device-clients-boot-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  for (const [i, [what, config, network, missing]] of ([
    ['the template manifest', {}, 'tcp, udp, listener, dns, ikelet; app clients in this build: none', ['mqtt', 'http']],
    ['mqttHost and firmwareHost', { ...BROKER, ...FIRMWARE }, 'tcp, udp, listener, dns, mqtt, http, ikelet; app clients in this build: MQTTClient, HTTPClient, FirmwareFetcher', []],
  ] as const).entries()) {
    const dir = path.join(work, String(i));
    fs.mkdirSync(dir);
    const manifest = path.join(dir, 'manifest.json');
    fs.writeFileSync(manifest, JSON.stringify({ config: { psk: 'device-clients-test-psk-0123456789', ...config } }));
    const build = await buildXsDevice(sdk.sdk, { manifest }, dir);
    // A FIFO for the modem line: nothing answers, the agent just keeps trying while main.ts boots.
    const serial = path.join(dir, 'serial');
    execFileSync('mkfifo', [serial]);
    const run = XsDeviceRun.start({ binary: build.binary, serialPath: serial });
    try {
      assert.equal(await lineOf(run, /^ikelet: device\.network: /, 30_000), `ikelet: device.network: ${network}`, what);
      // Moddable runs setup/ikelet before the project's main: the main finds device.network ready.
      await lineOf(run, /^ikelet: main: /, 10_000);
      assert.ok(run.lines.findIndex((l) => l.startsWith('ikelet: main: ')) > run.lines.findIndex((l) => l.startsWith('ikelet: device.network: ')), `${what}: main ran after setup`);
      for (const name of ['mqtt', 'http']) {
        const explained = run.lines.some((l) => l.startsWith(`ikelet: no device.network.${name}: `));
        assert.equal(explained, (missing as readonly string[]).includes(name), `${what}: a missing device.network.${name} is explained at boot`);
      }
      await new Promise((r) => setTimeout(r, 500)); // the agent's first turns, and the firmware fetcher's
      assert.deepEqual(run.exceptions, [], `${what}: no exception escaped a turn`);
      assert.equal(run.abort, undefined);
      assert.ok(run.running, `${what}: still running`);
    } finally {
      await run.stop();
    }
  }
});
