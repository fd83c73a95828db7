/** The MQTT, HTTP, firmware and `clients` config sections: defaults, manifest units → layer units, named refusals, no secret printed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../src/config/validate.ts';
import { firmwareSection } from '../../src/firmware/config.ts';
import { httpSection } from '../../src/http/config.ts';
import { mqttSection } from '../../src/mqtt/config.ts';
import type { ConfigSection } from '../../src/config/section.ts';
import { neededClients, type ClientChoice } from '../../src/app/clients-config.ts';

const KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'; // RFC 8032's first test public key
const DEVICE = { apn: 'internet', gateway: '203.0.113.10', localId: 'device1.example.com', remoteId: 'gateway.example.net', psk: 'a-device-psk-of-32-characters-00' };

/** A section as the one validator parses it, within a whole device config. */
function resolveSection<R extends object, P>(section: ConfigSection<R, P>, raw: Record<string, unknown>): { ok: true; value: P } | { ok: false; error: string[] } {
  const r = checkConfig({ ...DEVICE, ...raw });
  if (!r.ok) return { ok: false, error: r.errors };
  const name = section === (mqttSection as unknown) ? 'mqtt' : section === (httpSection as unknown) ? 'http' : 'firmware';
  return { ok: true, value: r.settings[name] as P };
}

test('defaults: MQTT and firmware off, sane limits in ms and bytes', () => {
  const mqtt = resolveSection(mqttSection, {});
  assert.ok(mqtt.ok);
  assert.equal(mqtt.value.enabled, false);
  assert.equal(mqtt.value.keepalive, 60_000);
  assert.equal(mqtt.value.limits.retryMaxMs, 300_000);
  const http = resolveSection(httpSection, {});
  assert.deepEqual(http.ok && http.value, { limits: { maxLine: 1024, maxHeaderBytes: 4096, maxHeaders: 32 }, timeoutMs: 30_000 });
  const fw = resolveSection(firmwareSection, {});
  assert.ok(fw.ok && !fw.value.enabled && fw.value.turnBytes === 2048 && fw.value.checkIntervalMs === 86_400_000);
});

test('a device configuration is parsed into what the clients take', () => {
  const mqtt = resolveSection(mqttSection, { mqttHost: 'broker.lab.example', mqttClientId: 'dev-1', mqttUser: 'device', mqttPassword: 'pw-123456', mqttKeepalive: 20, mqttQueueLength: 200 });
  assert.ok(mqtt.ok);
  assert.deepEqual({ ...mqtt.value, limits: undefined }, { enabled: true, host: 'broker.lab.example', port: 1883, id: 'dev-1', user: 'device', password: 'pw-123456', keepalive: 20_000, clean: false, limits: undefined });
  assert.equal(mqtt.value.limits.queueLength, 200);
  const fw = resolveSection(firmwareSection, { firmwareHost: 'fw.lab.example', firmwareVersion: '1.0.0', firmwareRange: 32768, firmwareKeys: [KEY.toUpperCase()] });
  assert.ok(fw.ok && fw.value.enabled && fw.value.rangeBytes === 32768 && fw.value.host === 'fw.lab.example');
  assert.deepEqual(fw.value.publicKeys, [KEY]);
});

test('firmware updates need a signing key, keys are Ed25519 public keys in hex (at most 4), the version is SemVer', () => {
  assert.deepEqual(errorsOf({ firmwareHost: 'fw.lab.example' }), ['config.firmwareKeys: expected at least one Ed25519 public key when firmwareHost is set (npm run sign-firmware -- keygen)']);
  assert.ok(checkConfig({ ...DEVICE, firmwareKeys: [] }).ok, 'no keys without updates is fine');
  assert.match(errorsOf({ firmwareHost: 'fw.lab.example', firmwareKeys: [KEY, 'abc'] }).join('\n'), /^config\.firmwareKeys\[1\]: expected an Ed25519 public key as 64 hex digits/m);
  assert.match(errorsOf({ firmwareKeys: KEY }).join('\n'), /^config\.firmwareKeys: /m);
  assert.match(errorsOf({ firmwareKeys: [KEY, KEY, KEY, KEY, KEY] }).join('\n'), /^config\.firmwareKeys: expected at most 4 keys/m);
  for (const version of ['1.2', 'build-7', 'v1.0.0', '1.0.0-01']) assert.match(errorsOf({ firmwareVersion: version }).join('\n'), /^config\.firmwareVersion: expected a SemVer 2\.0 version/m, version);
  assert.ok(checkConfig({ ...DEVICE, firmwareVersion: '1.3.0-rc.1+build.7' }).ok);
});

test('bad values are refused by name; the password never appears', () => {
  const r = resolveSection(mqttSection, { mqttHost: 'bad host!', mqttPort: 70000, mqttPassword: 'x'.repeat(200), mqttKeepalive: -1 });
  assert.ok(!r.ok);
  const text = r.error.join('\n');
  for (const key of ['mqttHost', 'mqttPort', 'mqttPassword', 'mqttKeepalive']) assert.match(text, new RegExp(`config\\.${key}`));
  assert.doesNotMatch(text, /xxxx/, 'the secret is described, not printed');
  const cross = resolveSection(mqttSection, { mqttHost: 'b.example', mqttClean: false, mqttClientId: '' });
  assert.ok(!cross.ok && /mqttClientId/.test(cross.error[0]!), 'a persistent session needs a client id');
  const fw = resolveSection(firmwareSection, { firmwareManifest: 'relative.json', firmwareRetryMin: 100, firmwareRetryMax: 10 });
  assert.ok(!fw.ok && /firmwareManifest/.test(fw.error.join()));
});

function errorsOf(raw: Record<string, unknown>): string[] {
  const r = checkConfig({ ...DEVICE, ...raw });
  assert.ok(!r.ok, 'refused');
  return r.errors;
}

test('clients: a list of "mqtt" / "http" (default none), each once; anything else refused by index', () => {
  for (const clients of [[], ['mqtt'], ['http', 'mqtt']]) {
    const r = checkConfig({ ...DEVICE, clients });
    assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
    assert.deepEqual(r.settings.appClients, clients);
  }
  const r = checkConfig(DEVICE);
  assert.ok(r.ok);
  assert.deepEqual(r.config.clients, []);
  assert.match(errorsOf({ clients: 'mqtt' }).join('\n'), /^config\.clients: expected a list of client names such as \["mqtt", "http"\]/m);
  const errors = errorsOf({ clients: ['mqtt', 'ftp', 'mqtt'] });
  assert.deepEqual(errors, [
    'config.clients[1]: expected "mqtt" or "http", each at most once (got "ftp")',
    'config.clients[2]: expected "mqtt" or "http", each at most once (got "mqtt")',
  ]);
});

test('which app clients a config needs: MQTT for a broker or "mqtt", HTTP for firmware updates or "http", the fetcher for firmware updates', () => {
  const needed = (c: Partial<ClientChoice>) => neededClients({ mqttHost: '', firmwareHost: '', clients: [], ...c });
  assert.deepEqual(needed({}), []);
  assert.deepEqual(needed({ mqttHost: 'broker.lab.example' }), ['MQTTClient']);
  assert.deepEqual(needed({ clients: ['mqtt'] }), ['MQTTClient']);
  assert.deepEqual(needed({ clients: ['http'] }), ['HTTPClient']);
  assert.deepEqual(needed({ firmwareHost: 'fw.lab.example' }), ['HTTPClient', 'FirmwareFetcher']);
  assert.deepEqual(needed({ mqttHost: 'broker.lab.example', firmwareHost: 'fw.lab.example', clients: ['mqtt', 'http'] }), ['MQTTClient', 'HTTPClient', 'FirmwareFetcher']);
});
