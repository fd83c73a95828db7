/**
 * The ESP32 bundle carries only the app clients its manifest needs (src/app/clients-config.ts): the
 * template manifest (no broker, no firmware server) gets none of the MQTT, HTTP or firmware code;
 * mqttHost, firmwareHost and `clients` each bring theirs. hosts/esp32/main.ts reads APP_CLIENTS, so
 * it links whatever the bundle carries (test/e2e/device-budget.test.ts runs it with none).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildEsp32 } from '../../scripts/build-esp32.ts';
import type { AppClientName } from '../../src/app/clients-config.ts';

/** Each client's trace: a string of its own in the flashed bundle (and its class in the readable one). */
const FLASHED: Record<AppClientName, string> = {
  MQTTClient: 'mqtt-subscribe-refused',
  HTTPClient: 'HTTP/1.1',
  FirmwareFetcher: 'firmware-installed',
};
const classOf = (name: AppClientName) => new RegExp(`\\b(class ${name}|${name} = class)\\b`);

const BROKER = { mqttHost: 'broker.lab.example', mqttClientId: 'dev-1' };
const FIRMWARE = { firmwareHost: 'fw.lab.example' };

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
