/**
 * The seed's use case end to end: the device reaches the MQTT broker, the DNS server and the
 * firmware server of the private network through its one tunnel (issue 11). The device's client
 * app (client-app.ts: the MQTT client and the firmware fetcher over the tunnel's ECMA-419 TCP and
 * Resolver classes) runs beside the agent — in Node (apps-tunnel.test.ts) or bundled with it
 * inside XS (apps-tunnel-xs.test.ts) — and app-scenarios.ts drives it through the app channel,
 * the same scenarios apps-direct.test.ts runs over Node's sockets in the private network.
 *
 * One lab and one device per host, the cases in turn on it; the CHILD SA is rekeyed every 10 s
 * throughout, so every case also runs across rekeys. The profile sets the serial line and the
 * image that is resumed after a carrier loss (see the two test files for why each).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { labTest, startLab } from '../lab/harness.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { MQTT_OPS, firmwareImage } from '../lab/app-services.ts';
import { run, startProcess, stopProcess, waitFor } from '../lab/processes.ts';
import { backsOff, FIRMWARE_TEST_SETTINGS, firmwareUpdate, mqttExchange, mqttHostile, mqttWrongPassword, type ExchangeResult } from '../lab/app-scenarios.ts';
import type { Lab } from '../lab/lab.ts';
import type { DeviceHost, DeviceUnderTest } from './device-hosts.ts';

export interface AppTunnelProfile {
  baud: number;
  /** The image the resume case downloads (and the carrier drops at 45 % of). */
  imageBytes: number;
}

const COUNT = 200;
/** The fetcher's HTTP timeout in the resume case; the coverage loss lasts 2 s longer. */
const HTTP_TIMEOUT = 4000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** QoS 1 commands from the private network through mosquitto_pub, one connection for all. */
function publisher(lab: Lab) {
  return (topic: string, messages: string[]) =>
    run('ip', ['netns', 'exec', lab.priv, 'mosquitto_pub', '-h', 'broker.lab.example', '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', topic, '-q', '1', '-l'], { input: `${messages.join('\n')}\n` }).then(() => {});
}

/** mosquitto_sub in the private network on the device's telemetry, ready once the broker logged it. */
async function telemetrySubscriber(t: TestContext, lab: Lab): Promise<() => string[]> {
  const opsLogins = () => lab.apps!.brokerLog().filter((l) => l.includes(`u'${MQTT_OPS.user}'`)).length;
  const before = opsLogins();
  const sub = startProcess('mosquitto_sub', 'ip', ['netns', 'exec', lab.priv, 'mosquitto_sub', '-h', 'broker.lab.example', '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', 'devices/dev-1/telemetry', '-q', '1']);
  t.after(() => stopProcess(sub));
  await waitFor('the subscription', () => opsLogins() > before || undefined, 10_000);
  return () => sub.output().split('\n').filter((l) => l.startsWith('telemetry '));
}

/**
 * None lost, none duplicated at the device; at the broker a QoS 1 duplicate can only be a message
 * the device sent again with DUP after a broken connection (its PUBACK lost), never more of them.
 */
async function assertExchange(r: ExchangeResult, telemetry: () => string[]): Promise<void> {
  await waitFor('the telemetry at the broker', () => telemetry().length >= COUNT || undefined, 30_000).catch(() => {});
  const expected = Array.from({ length: COUNT }, (_, i) => `telemetry ${i}`);
  assert.equal(r.acknowledged, COUNT, 'every telemetry message acknowledged');
  assert.deepEqual([...new Set(telemetry())].sort(), [...expected].sort(), 'every telemetry message reached the private network');
  assert.ok(telemetry().length - COUNT <= r.resent, `${telemetry().length - COUNT} duplicates at the broker, ${r.resent} resent with DUP`);
  assert.deepEqual(r.received, Array.from({ length: COUNT }, (_, i) => `command ${i}`), 'every command arrived at the device once, in order');
  assert.equal(r.dropped, 0);
}

const count = (device: DeviceUnderTest, type: string) => device.events.filter((e) => e.type === type).length;
/** The tunnel back: a new one, or the kept SAs moved to the new link (MOBIKE, linkLossHold). */
const back = (device: DeviceUnderTest) => count(device, 'child-up') + count(device, 'ike-moved');

export function defineAppTunnelTests(host: DeviceHost, profile: AppTunnelProfile): void {
  labTest(`apps [${host.name}] at ${profile.baud} baud, CHILD SA rekeyed every 10 s: MQTT, DNS and firmware through one tunnel`, async (t) => {
    const lab = await startLab(t, { modem: { registrationDelayMs: 100, baud: profile.baud }, apps: { imageBytes: profile.imageBytes } });
    const device = await host.make({ config: labDeviceConfig({ uartBaud: profile.baud, childLifetime: 10, ikeLifetime: 3600 }), serialPath: lab.serialPath, netApp: true });
    t.after(() => device.close());
    await device.start();
    await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
    const unharmed = () => assert.equal(device.unexpectedErrors(), 0, 'no exception reached the agent');

    await t.test(`${COUNT} QoS 1 messages each way across a CHILD SA rekey: none lost or duplicated, one MQTT connection`, async (t) => {
      const telemetry = await telemetrySubscriber(t, lab);
      const rekeys = count(device, 'child-rekeyed');
      const r = await mqttExchange(device, {
        count: COUNT, timeoutMs: 120_000, publishCommands: publisher(lab),
        during: () => device.waitFor(() => count(device, 'child-rekeyed') > rekeys, 60_000, 'a CHILD SA rekey').then(() => {}),
      });
      await assertExchange(r, telemetry);
      assert.equal(r.connects, 1, 'the rekeys were invisible to the MQTT connection');
      unharmed();
    });

    await t.test(`${COUNT} QoS 1 messages each way across a carrier loss (NO CARRIER, redial): none lost or duplicated`, async (t) => {
      const telemetry = await telemetrySubscriber(t, lab);
      const ups = back(device);
      const r = await mqttExchange(device, {
        count: COUNT, timeoutMs: 120_000, publishCommands: publisher(lab),
        during: async () => {
          lab.modem!.dropCarrier();
          await device.waitFor(() => back(device) > ups, 90_000, 'the tunnel to come back');
        },
      });
      await assertExchange(r, telemetry);
      unharmed();
    });

    await t.test('a wrong MQTT password: a named error and retries that back off', async () => {
      const r = await mqttWrongPassword(device, 10_000);
      assert.ok(r.errors.length >= 2 && r.errors.every((e) => e === 'not-authorized'), r.errors.join());
      assert.ok(backsOff(r.waits), `waits back off 1, 2, 4, 4 s (±20 %): ${r.waits.join(', ')}`);
      assert.ok(r.attempts <= 7, `${r.attempts} attempts in 10 s`);
      unharmed();
    });

    await t.test(`the ${profile.imageBytes >> 10} KiB image byte-exact with its digest, resumed after NO CARRIER at 45 % (no restart from zero)`, async (t) => {
      const image = lab.apps!.firmware!;
      const logged = lab.apps!.firmwareAccessLog().length;
      const notifyAt = Math.floor(image.size * 0.45);
      const ups = back(device);
      const r = await firmwareUpdate(device, {
        timeoutMs: 600_000, notifyAt, settings: { timeoutMs: HTTP_TIMEOUT },
        during: async () => {
          // Coverage lost for longer than the HTTP timeout: the request in flight fails (a TCP
          // connection would otherwise outlive a quick redial) and the fetcher must resume.
          lab.modem!.dropCarrier();
          lab.modem!.model.setRegistration(2);
          await sleep(HTTP_TIMEOUT + 2000);
          lab.modem!.model.setRegistration(1);
          await device.waitFor(() => back(device) > ups, 90_000, 'the tunnel to come back');
        },
      });
      assert.equal(r.state, 'installed', JSON.stringify(r.events.filter((e) => e.type !== 'firmware-progress')));
      assert.deepEqual(r.sink, { begun: 1, written: image.size, sha256: image.sha256, completed: true, cancels: 0 }, 'the sink got every byte once, in order: the image\'s SHA-256');
      const resumes = r.events.filter((e) => e.type === 'firmware-resume');
      const resume = resumes.find((e) => e.offset >= notifyAt - FIRMWARE_TEST_SETTINGS.rangeBytes);
      assert.ok(resume, `resumed where it stopped (45 % = ${notifyAt}): ${JSON.stringify(resumes)}`);
      const sent = lab.apps!.firmwareAccessLog().slice(logged).reduce((n, line) => n + Number(/" 20[06] (\d+)/.exec(line)?.[1] ?? 0), 0);
      assert.ok(sent <= image.size + FIRMWARE_TEST_SETTINGS.rangeBytes + 1024, `the server sent ${sent} bytes for a ${image.size}-byte image: resumed, not restarted`);
      t.diagnostic(`image ${image.size} B: ${r.requests} requests, ${r.resumes} resume(s) at ${resume.offset}, longest turn ${r.longestTurnBytes} B of body`);
      unharmed();
    });

    await t.test('a corrupted image (one byte flipped on the server) is rejected and never completed', async () => {
      lab.apps!.publishFirmware({ version: '1.3.0', image: firmwareImage(200_000, 11), corruptAt: 99_999 });
      const r = await firmwareUpdate(device, { timeoutMs: 300_000 });
      assert.ok(r.events.some((e) => e.type === 'firmware-rejected' && e.reason === 'digest-mismatch'), JSON.stringify(r.events.filter((e) => e.type !== 'firmware-progress')));
      assert.equal(r.sink.completed, false, 'never completed');
      assert.ok(r.sink.cancels >= 1, 'what was written was dropped');
      unharmed();
    });

    await t.test('the hostile broker and HTTP server through the tunnel: named errors, bounded memory, the agent unharmed', async () => {
      const mqtt = await mqttHostile(device, ['oversized', 'bad-length', 'bad-utf8', 'unknown-type', 'truncated']);
      assert.deepEqual(Object.fromEntries(Object.entries(mqtt).map(([m, v]) => [m, v.error])), {
        oversized: 'packet-too-large', 'bad-length': 'malformed-remaining-length', 'bad-utf8': 'bad-utf8', 'unknown-type': 'unknown-packet-type', truncated: 'connection-lost',
      });
      for (const [mode, v] of Object.entries(mqtt)) {
        assert.ok(v.retried, `${mode}: tried again`);
        assert.ok(v.memoryGrowth < 2 << 20, `${mode}: memory grew by ${v.memoryGrowth} bytes`);
      }
      for (const [manifestPath, error] of [['/endless-headers', 'too-many-headers'], ['/m/truncated', 'truncated-body'], ['/bad-length', 'bad-content-length']] as const) {
        const r = await firmwareUpdate(device, { settings: { host: 'hostile-fw.lab.example', manifestPath }, stopOn: 'firmware-error', timeoutMs: 60_000 });
        const first = r.events.find((e) => e.type === 'firmware-error');
        assert.equal(first?.type === 'firmware-error' ? first.error : undefined, error, manifestPath);
      }
      unharmed();
    });

    await device.stop();
  }, 1_200_000);
}
