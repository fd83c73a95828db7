/**
 * ikelet inside a user's own Moddable project (issue 24): the project keeps its own main.js and
 * manifest and adds one include line, "$(IKELET)/manifests/ikelet/manifest.json"; `npm run
 * build:ikelet` wrote the part from the project's config. Each project goes through mcconfig, xsc
 * and xsl, is linked as the ESP32 build's Linux twin, and runs against the lab: ikelet's setup
 * module brings the tunnel up before the project's main, whose traffic then reaches the private
 * network's mosquitto through the tunnel.
 *   - examples/telemetry: a user project, on ikelet's MQTT client (mqttHost in its config)
 *   - the SDK's own examples/io/tcp/mqttclient, its main.js unchanged but for broker and credentials,
 *     on the SDK's MQTT client over ikelet's sockets
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { findModdableSdk, REPO_ROOT } from '../../scripts/moddable-sdk.ts';
import { xsDeviceOf } from '../../scripts/xs-device.ts';
import { ikeletTreeFor } from '../../scripts/user-project.ts';
import { DEVICE_PROPOSALS } from '../../hosts/xs-device/budget.ts';
import { XsDeviceRun } from '../../hosts/xs-device/device.ts';
import { labTest, startLab } from '../lab/harness.ts';
import { LAB_FIRMWARE_KEY, MQTT_DEVICE, MQTT_OPS } from '../lab/app-services.ts';
import { run, startProcess, stopProcess, waitFor } from '../lab/processes.ts';
import type { Lab } from '../lab/lab.ts';

const INCLUDE = '$(IKELET)/manifests/ikelet/manifest.json';

/** The lab's config as a device project gives it (the lab's gateway, identities and PSK; the ESP32's proposals). */
function labConfig(extra: Record<string, unknown>): Record<string, unknown> {
  const lab = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'manifests/lab/manifest.json'), 'utf8')) as { config: Record<string, unknown> }).config;
  return { ...lab, ...DEVICE_PROPOSALS, logLevel: 'info', ...extra };
}

/**
 * Builds `project` (a copy of a user's project folder, its manifest's config already set) as a user
 * would: build:ikelet from its manifest into an ikelet checkout's build/ikelet (here a copy of the
 * include manifest in a temporary tree, so tests never write into the repo), then mcconfig with
 * IKELET set, and the twin linked.
 */
async function buildProject(t: TestContext, project: string): Promise<string> {
  const sdk = findModdableSdk();
  if (!sdk.ok) throw new Error(`the Moddable SDK is needed: ${sdk.reason}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-user-project-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const { ikelet, warnings } = await ikeletTreeFor(project, work);
  t.diagnostic(`build:ikelet: ${warnings.join('; ') || 'no warnings'}`);
  const { binary } = await xsDeviceOf(sdk.sdk, project, path.join(work, 'twin'), { IKELET: ikelet });
  return binary;
}

function copyProject(t: TestContext, from: string, config?: Record<string, unknown>): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-project-')), path.basename(from));
  t.after(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));
  fs.cpSync(from, dir, { recursive: true });
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { include?: string[]; config?: Record<string, unknown> };
  if (!manifest.include?.includes(INCLUDE)) manifest.include = [...(manifest.include ?? []), INCLUDE];
  if (config) manifest.config = config;
  fs.writeFileSync(file, JSON.stringify(manifest, null, '\t'));
  return dir;
}

/** mosquitto_sub as the operator in the private network, on `topic`, ready once the broker logged it. */
async function subscribe(t: TestContext, lab: Lab, topic: string): Promise<() => string[]> {
  const logins = () => lab.apps!.brokerLog().filter((l) => l.includes(`u'${MQTT_OPS.user}'`)).length;
  const before = logins();
  const sub = startProcess('mosquitto_sub', 'ip', ['netns', 'exec', lab.priv, 'mosquitto_sub', '-h', 'broker.lab.example', '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', topic, '-v', '-q', '1']);
  t.after(() => stopProcess(sub));
  await waitFor('the subscription', () => logins() > before || undefined, 10_000);
  return () => sub.output().split('\n').filter(Boolean);
}

function startTwin(t: TestContext, lab: Lab, binary: string): XsDeviceRun {
  const device = XsDeviceRun.start({ binary, serialPath: lab.serialPath });
  t.after(() => device.stop());
  return device;
}

/** waitFor, failing with what the device printed last. */
async function waitOn<T>(device: XsDeviceRun, what: string, probe: () => T | undefined, ms: number): Promise<T> {
  try {
    return await waitFor(what, probe, ms);
  } catch (e) {
    throw new Error(`${(e as Error).message}; the device's last lines:\n${device.lines.filter((l) => !l.startsWith('@ikelet census') && !l.startsWith('@ikelet turn')).slice(-25).join('\n')}`);
  }
}

const lineIndex = (device: XsDeviceRun, re: RegExp) => device.lines.findIndex((l) => re.test(l));

labTest('a user project (examples/telemetry) with its own main.js: telemetry and commands through the tunnel on ikelet\'s MQTT client', async (t) => {
  const project = copyProject(t, path.join(REPO_ROOT, 'examples/telemetry'), labConfig({
    telemetryInterval: 1,
    mqttHost: 'broker.lab.example', mqttClientId: MQTT_DEVICE.user, mqttUser: MQTT_DEVICE.user, mqttPassword: MQTT_DEVICE.password,
    firmwareHost: 'fw.lab.example', firmwareKeys: [LAB_FIRMWARE_KEY], firmwareVersion: '1.0.0',
  }));
  const binary = await buildProject(t, project);
  const lab = await startLab(t, { modem: { registrationDelayMs: 100 }, gateway: DEVICE_PROPOSALS, apps: true });
  const messages = await subscribe(t, lab, 'devices/#');
  const device = startTwin(t, lab, binary);

  const telemetry = () => messages().filter((l) => l.startsWith('devices/dev-1/telemetry '));
  await waitOn(device, 'readings at the broker, three made while the tunnel was up', () => telemetry().filter((l) => l.includes('"tunnel":"up"')).length >= 3 || undefined, 90_000);
  const readings = telemetry().map((l) => JSON.parse(l.slice('devices/dev-1/telemetry '.length)) as { sequence: number; tunnel: string; espBytesOut: number });
  // Readings made before the tunnel was up waited in the QoS 1 queue and say so.
  const whileUp = readings.filter((r) => r.tunnel === 'up');
  assert.ok(whileUp.length >= 2 && readings.at(-1)!.tunnel === 'up', `the app read the tunnel's state from device.network.ikelet: ${readings.map((r) => r.tunnel).join(', ')}`);
  assert.ok(whileUp.at(-1)!.espBytesOut > whileUp[0]!.espBytesOut, 'and its traffic counters, live');

  await run('ip', ['netns', 'exec', lab.priv, 'mosquitto_pub', '-h', 'broker.lab.example', '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', 'devices/dev-1/cmd/blink', '-q', '1', '-m', 'blink 3']);
  await waitOn(device, 'the command acknowledged by the app', () => messages().find((l) => l.startsWith('devices/dev-1/status ') && l.includes('"ack":"blink 3"')), 20_000);
  assert.ok(device.lines.some((l) => l === 'telemetry: command on devices/dev-1/cmd/blink: blink 3'), 'the app\'s main took the command');

  // ikelet's setup ran first: device.network was the tunnel's before the app's main ran.
  const published = lineIndex(device, /^ikelet: device\.network: tcp, udp, listener, dns, mqtt, http, ikelet;/);
  assert.ok(published >= 0, `ikelet published device.network; lines:\n${device.lines.slice(0, 20).join('\n')}`);
  assert.ok(lineIndex(device, /^telemetry: /) > published, 'the app ran after ikelet\'s setup');
  assert.ok(device.lines.some((l) => /^telemetry: tunnel up as 192\.0\.2\.\d+$/.test(l)), 'device.network.ikelet told the app the tunnel is up, with its virtual IP');
  // ikelet's firmware check runs beside the app: the lab's signed 1.1.0 manifest is above 1.0.0 and its signature verifies.
  await waitOn(device, 'the firmware check', () => device.lines.find((l) => /firmware 1\.1\.0: manifest signature verified with key 0/.test(l)), 30_000);
  assert.deepEqual(device.exceptions, [], 'no exception escaped a turn');
}, 240_000);

labTest('the SDK\'s own examples/io/tcp/mqttclient with only the include line added: the SDK\'s MQTT client over ikelet\'s sockets', async (t) => {
  const sdk = findModdableSdk();
  if (!sdk.ok) throw new Error(`the Moddable SDK is needed: ${sdk.reason}`);
  const project = copyProject(t, path.join(sdk.sdk.root, 'examples/io/tcp/mqttclient'), labConfig({}));
  // Its host and credentials: the lab's broker, as the operator (allowed to publish to foo/bar/#).
  const main = path.join(project, 'main.js');
  const source = fs.readFileSync(main, 'utf8');
  assert.match(source, /host: "test\.mosquitto\.org",/);
  fs.writeFileSync(main, source.replace('host: "test.mosquitto.org",', `host: "broker.lab.example", user: "${MQTT_OPS.user}", password: "${MQTT_OPS.password}",`));
  const binary = await buildProject(t, project);
  const lab = await startLab(t, { modem: { registrationDelayMs: 100 }, gateway: DEVICE_PROPOSALS, apps: true });
  const messages = await subscribe(t, lab, 'foo/bar/#');
  const device = startTwin(t, lab, binary);

  await waitOn(device, 'the SDK example\'s QoS 1 publish of 16 KiB acknowledged', () => device.lines.includes('PUBACK - 1234') || undefined, 120_000);
  assert.ok(device.lines.includes('SUBACK - 1') || device.lines.some((l) => l.startsWith('SUBACK')), 'its SUBSCRIBE was answered');
  await waitOn(device, 'its messages at the broker', () => messages().find((l) => l.startsWith('foo/bar/xxl ')), 10_000);
  const small = messages().find((l) => l.startsWith('foo/bar/small '));
  assert.equal(small, 'foo/bar/small SMALL\n'.trim(), 'foo/bar/small arrived whole ("SM" + "ALL\\n", two writes of one message)');
  const xxl = messages().find((l) => l.startsWith('foo/bar/xxl '))!;
  assert.equal(xxl.length - 'foo/bar/xxl '.length, 3 + 16 * 1024, 'the 16 KiB message arrived whole');
  assert.ok(device.lines.some((l) => /^ikelet: device\.network: .*the SDK's mqtt client over the tunnel/.test(l)), 'ikelet kept the SDK\'s client and gave it the tunnel\'s sockets');
  assert.deepEqual(device.exceptions, [], 'no exception escaped a turn');
}, 300_000);

labTest('the SDK\'s own examples/io/tcp/httpclient with only the include line added: the SDK\'s HTTP client over ikelet\'s sockets', async (t) => {
  const sdk = findModdableSdk();
  if (!sdk.ok) throw new Error(`the Moddable SDK is needed: ${sdk.reason}`);
  const project = copyProject(t, path.join(sdk.sdk.root, 'examples/io/tcp/httpclient'), labConfig({}));
  const main = path.join(project, 'main.js');
  const source = fs.readFileSync(main, 'utf8');
  assert.match(source, /host: "example\.com"/);
  fs.writeFileSync(main, source.replace('host: "example.com"', 'host: "fw.lab.example"'));
  const binary = await buildProject(t, project);
  const lab = await startLab(t, { modem: { registrationDelayMs: 100 }, gateway: DEVICE_PROPOSALS, apps: true });
  const page = 'served to the SDK example through the tunnel';
  fs.writeFileSync(path.join(lab.apps!.www, 'index.html'), `${page}\n`);
  const device = startTwin(t, lab, binary);

  // Its three requests (GET /?0, /?1, /?2), each answered and read to the end.
  await waitOn(device, 'the three requests done', () => [0, 1, 2].every((i) => device.lines.some((l) => l.includes(`**DONE ${i} **`))) || undefined, 120_000);
  assert.equal(device.lines.filter((l) => l === 'Status 200').length, 3, 'three 200 responses');
  assert.ok(device.lines.filter((l) => l.includes(page)).length >= 3, 'the page\'s body reached the app each time');
  assert.ok(!device.lines.some((l) => l.includes('**ERROR')), 'no request failed');
  assert.ok(device.lines.some((l) => /^ikelet: device\.network: .*the SDK's http client over the tunnel/.test(l)));
  assert.deepEqual(device.exceptions, [], 'no exception escaped a turn');
}, 300_000);
