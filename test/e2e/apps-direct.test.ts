/**
 * The device's MQTT client, HTTP client and firmware fetcher against the lab's real servers
 * (mosquitto, nginx) and its hostile peers, run inside the private network over Node's sockets
 * behind the ECMA-419 classes: the protocols proven on real software before the tunnel carries
 * them (apps-tunnel.test.ts runs the same scenarios through the tunnel).
 */
import assert from 'node:assert/strict';
import { labTest, startLab } from '../lab/harness.ts';
import { LAB_FIRMWARE_KEY, MQTT_OPS, firmwareImage } from '../lab/app-services.ts';
import { startProcess, stopProcess, waitFor } from '../lab/processes.ts';
import type { Lab } from '../lab/lab.ts';
import { backsOff } from '../lab/app-scenarios.ts';

async function scenario<T>(lab: Lab, name: string, args: object = {}): Promise<T> {
  const out = await lab.exec('priv', process.execPath, '--import', 'tsx', 'test/lab/app-clients-cli.ts', name, JSON.stringify(args));
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}

labTest('direct: MQTT QoS 1 both ways with mosquitto (password, ACL); a wrong password is a named error with backoff', async (t) => {
  const lab = await startLab(t, { slirp: false, apps: true });
  const sub = startProcess('mosquitto_sub', 'ip', ['netns', 'exec', lab.priv, 'mosquitto_sub', '-h', 'broker.lab.example', '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', 'devices/dev-1/telemetry', '-q', '1']);
  t.after(() => stopProcess(sub));
  await waitFor('the operator\'s subscription', () => lab.apps!.brokerLog().some((l) => l.includes(`u'${MQTT_OPS.user}'`)) || undefined, 10_000);

  const r = await scenario<{ acknowledged: number; received: string[]; errors: string[] }>(lab, 'mqtt-exchange', { count: 50 });
  assert.deepEqual(r.errors, []);
  assert.equal(r.acknowledged, 50, 'every telemetry message acknowledged by the broker');
  assert.deepEqual(r.received, Array.from({ length: 50 }, (_, i) => `command ${i}`), 'every command arrived once, in order');
  await waitFor('the telemetry at mosquitto_sub', () => sub.output().split('\n').filter(Boolean).length >= 50 || undefined, 10_000);
  assert.deepEqual(sub.output().split('\n').filter(Boolean), Array.from({ length: 50 }, (_, i) => `telemetry ${i}`));

  const wrong = await scenario<{ errors: string[]; attempts: number; waits: number[] }>(lab, 'mqtt-wrong-password', { watchMs: 8000 });
  assert.ok(wrong.errors.length >= 2, 'it keeps trying');
  assert.ok(wrong.errors.every((e) => e === 'not-authorized'), `mosquitto refuses a wrong password as not authorized: ${wrong.errors.join()}`);
  assert.ok(backsOff(wrong.waits), `waits back off 1, 2, 4, 4 s (±20 %): ${wrong.waits.join(', ')}`);
  assert.ok(wrong.attempts <= 6, `${wrong.attempts} attempts in 8 s`);
}, 180_000);

labTest('direct: the hostile broker → named errors, bounded memory, and another try each time', async (t) => {
  const lab = await startLab(t, { slirp: false, apps: true });
  const modes = ['oversized', 'bad-length', 'bad-utf8', 'unknown-type', 'truncated', 'no-connack', 'refuse-5', 'garbage'];
  const r = await scenario<Record<string, { error?: string; retried: boolean; memoryGrowth: number }>>(lab, 'mqtt-hostile', { modes });
  assert.deepEqual(Object.fromEntries(Object.entries(r).map(([m, v]) => [m, v.error])), {
    oversized: 'packet-too-large', 'bad-length': 'malformed-remaining-length', 'bad-utf8': 'bad-utf8', 'unknown-type': 'unknown-packet-type',
    truncated: 'connection-lost', 'no-connack': 'connect-timeout', 'refuse-5': 'not-authorized', garbage: 'unknown-packet-type', // its first byte 0x07: type 0
  });
  for (const [mode, v] of Object.entries(r)) {
    assert.ok(v.retried, `${mode}: tried again`);
    assert.ok(v.memoryGrowth < 2 << 20, `${mode}: ${v.memoryGrowth} bytes of buffers`);
  }
}, 180_000);

labTest('direct: firmware from nginx in 64 KiB ranges, signature and SHA-256 verified, file written; a flipped byte, an unsigned or strange-key manifest are rejected and nothing left', async (t) => {
  const lab = await startLab(t, { slirp: false, apps: true });
  const apps = lab.apps!;
  type Fw = { state: string; requests: number; file?: { size: number; sha256: string }; partLeft: boolean; sink: { begun: number }; events: { type: string; error?: string; reason?: string; key?: string }[] };
  const good = await scenario<Fw>(lab, 'firmware', {});
  assert.equal(good.state, 'installed');
  assert.deepEqual(good.events.filter((e) => e.type === 'firmware-signature').map((e) => e.key), [LAB_FIRMWARE_KEY], 'the signature verified with the lab key');
  assert.deepEqual(good.file, { size: 1 << 20, sha256: apps.firmware!.sha256 }, 'byte-exact');
  assert.equal(good.requests, 17, 'the manifest and sixteen ranges');
  assert.ok(apps.firmwareAccessLog().filter((l) => l.includes('" 206 ')).length >= 16, 'nginx answered 206 to the ranges');

  apps.publishFirmware({ version: '1.2.0', image: firmwareImage(300_000, 9), corruptAt: 123_456 });
  const bad = await scenario<Fw>(lab, 'firmware', {});
  assert.notEqual(bad.state, 'installed');
  assert.equal(bad.file, undefined, 'never completed');
  assert.equal(bad.partLeft, false, 'nothing left behind');
  assert.ok(bad.events.some((e) => e.type === 'firmware-rejected' && e.reason === 'digest-mismatch'));

  // Unsigned, or signed with a key the device does not list: refused before any image request.
  for (const [secretKey, reason] of [[null, 'unsigned'], ['44'.repeat(32), 'unknown-key']] as const) {
    apps.publishFirmware({ version: '1.3.0', image: firmwareImage(100_000, 12), secretKey });
    const r = await scenario<Fw>(lab, 'firmware', {});
    assert.ok(r.events.some((e) => e.type === 'firmware-rejected' && e.reason === reason), `${reason}: ${JSON.stringify(r.events)}`);
    assert.equal(r.sink.begun, 0, `${reason}: the sink never begun`);
    assert.equal(r.file, undefined);
    assert.ok(!apps.firmwareAccessLog().some((l) => l.includes('image-1.3.0.bin')), `${reason}: the image never requested`);
  }
}, 180_000);

labTest('direct: the hostile HTTP server → named errors at the manifest and at the image', async (t) => {
  const lab = await startLab(t, { slirp: false, apps: true });
  type Fw = { events: { type: string; stage?: string; error?: string }[] };
  const cases: [string, string, string][] = [
    ['/endless-headers', 'manifest', 'too-many-headers'],
    ['/long-line', 'manifest', 'line-too-long'],
    ['/bad-status', 'manifest', 'bad-status-line'],
    ['/bad-length', 'manifest', 'bad-content-length'],
    ['/truncated-chunked', 'manifest', 'truncated-body'],
    ['/silent', 'manifest', 'timeout'],
    ['/m/truncated', 'image', 'truncated-body'],
    ['/m/endless-headers', 'image', 'too-many-headers'],
  ];
  for (const [manifestPath, stage, error] of cases) {
    const r = await scenario<Fw>(lab, 'firmware', { host: 'hostile-fw.lab.example', manifestPath, stopOn: 'firmware-error', timeoutMs: 30_000 });
    const first = r.events.find((e) => e.type === 'firmware-error');
    assert.deepEqual([first?.stage, first?.error], [stage, error], manifestPath);
  }
}, 300_000);
