/**
 * The lab's application servers, proven from inside the private network with their own tools:
 * mosquitto with its password file and ACL (mosquitto_pub/_sub), nginx serving the manifest and
 * the 1 MiB image with Range (Node's http client), the lab DNS naming them, the hostile peers
 * misbehaving as asked, and every process gone by PID afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { labTest, startLab } from '../lab/harness.ts';
import { MQTT_DEVICE, MQTT_OPS, FIRMWARE_MANIFEST_PATH, FIRMWARE_DEFAULT_SIZE, LAB_FIRMWARE_KEY } from '../lab/app-services.ts';
import { checkManifest } from '../../scripts/sign-firmware.ts';
import { run, startProcess, stopProcess, waitFor } from '../lab/processes.ts';

/** A GET from inside the private network; prints JSON {status, headers, length, sha256, head}. */
const HTTP_GET = `
const http = require('node:http');
const crypto = require('node:crypto');
const [host, path, range] = process.argv.slice(1);
const req = http.get({ host, path, headers: range ? { Range: range } : {} }, (res) => {
  const hash = crypto.createHash('sha256');
  let length = 0; let head = '';
  res.on('data', (d) => { hash.update(d); length += d.length; if (head.length < 1024) head += d.toString('latin1'); });
  const report = (error) => console.log(JSON.stringify({ status: res.statusCode, headers: res.headers, length, sha256: hash.digest('hex'), head: head.slice(0, 1024), error }));
  res.on('end', () => report());
  res.on('error', (e) => report(e.code || e.message)); // a body cut short
});
req.on('error', (e) => console.log(JSON.stringify({ error: e.code || e.message })));
`;

/** Raw bytes from a TCP peer: connects, sends the given hex, prints what came back (hex, capped). */
const RAW = `
const net = require('node:net');
const [host, port, hex, cap] = process.argv.slice(1);
const s = net.connect(Number(port), host, () => s.write(Buffer.from(hex, 'hex')));
let got = Buffer.alloc(0);
s.on('data', (d) => { got = Buffer.concat([got, d]); if (got.length >= Number(cap)) { s.destroy(); done(); } });
s.on('end', done); s.on('error', done); setTimeout(done, 3000);
let printed = false;
function done() { if (printed) return; printed = true; process.stdout.write(got.subarray(0, Number(cap)).toString('hex') + '\\n', () => process.exit(0)); }
`;

function connectPacket(clientId: string): string {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]).toString('hex');
}

labTest('apps lab: mosquitto with password and ACL, nginx with Range, lab names, hostile peers; all stopped by PID', async (t) => {
  const lab = await startLab(t, { slirp: false, apps: true });
  const apps = lab.apps!;
  const priv = (cmd: string, ...args: string[]) => lab.exec('priv', cmd, ...args);

  // Names resolve inside the private network through the lab DNS.
  const names = await priv(process.execPath, '-e', "require('node:dns').promises.lookup(process.argv[1]).then((a) => console.log(a.address))", 'fw.lab.example');
  assert.equal(names.trim(), '198.51.100.30');

  // MQTT: the operator subscribes; the device publishes its telemetry; the ACL keeps it to its own topics.
  const sub = startProcess('mosquitto_sub', 'ip', ['netns', 'exec', lab.priv, 'mosquitto_sub', '-h', 'broker.lab.example', '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', 'devices/#', '-v', '-q', '1']);
  t.after(() => stopProcess(sub));
  await waitFor('the subscription', () => apps.brokerLog().some((l) => l.includes(`u'${MQTT_OPS.user}'`)) || undefined, 10_000);
  const pub = (user: { user: string; password: string }, topic: string, message: string) =>
    run('ip', ['netns', 'exec', lab.priv, 'mosquitto_pub', '-h', 'broker.lab.example', '-u', user.user, '-P', user.password, '-t', topic, '-m', message, '-q', '1'], { allowFail: true });
  await pub(MQTT_DEVICE, 'devices/dev-1/telemetry', 't=21.5');
  await pub(MQTT_DEVICE, 'devices/dev-2/telemetry', 'not mine');
  await pub(MQTT_OPS, 'devices/dev-1/cmd/led', 'on');
  await waitFor('telemetry at the operator', () => sub.output().includes('devices/dev-1/cmd/led on') || undefined, 10_000);
  assert.ok(sub.output().includes('devices/dev-1/telemetry t=21.5'), 'the device\'s telemetry arrives');
  assert.ok(!sub.output().includes('not mine'), 'the ACL drops a topic that is not the device\'s');
  const refused = await run('ip', ['netns', 'exec', lab.priv, 'mosquitto_pub', '-h', 'broker.lab.example', '-u', MQTT_DEVICE.user, '-P', 'wrong', '-t', 'devices/dev-1/telemetry', '-m', 'x'], { allowFail: true }).catch((e: Error) => e.message);
  assert.ok(apps.brokerLog().some((l) => /not authori[sz]ed|bad user name or password/i.test(l)) || /not authori[sz]ed|Connection Refused/i.test(refused), 'a wrong password is refused');

  // Firmware server: the manifest names a 1 MiB image, signed with the lab key; Range gives 206 with Content-Range; the digest matches.
  const manifestText = JSON.parse(await priv(process.execPath, '-e', HTTP_GET, 'fw.lab.example', FIRMWARE_MANIFEST_PATH)).head as string;
  const manifest = JSON.parse(manifestText) as { version: string; size: number; sha256: string; path: string };
  assert.equal(manifest.size, FIRMWARE_DEFAULT_SIZE);
  assert.equal(checkManifest(manifestText, [LAB_FIRMWARE_KEY], apps.firmware!.image), '', 'signed with the lab key, naming the image served');
  const whole = JSON.parse(await priv(process.execPath, '-e', HTTP_GET, 'fw.lab.example', manifest.path));
  assert.deepEqual([whole.status, whole.length, whole.sha256], [200, FIRMWARE_DEFAULT_SIZE, manifest.sha256]);
  const part = JSON.parse(await priv(process.execPath, '-e', HTTP_GET, 'fw.lab.example', manifest.path, 'bytes=65536-131071'));
  assert.deepEqual([part.status, part.headers['content-range'], part.length], [206, `bytes 65536-131071/${FIRMWARE_DEFAULT_SIZE}`, 65536]);
  assert.equal(part.sha256, createHash('sha256').update(apps.firmware!.image.subarray(65536, 131072)).digest('hex'));

  // A corrupted image: the manifest keeps the true digest, the served bytes differ in one place.
  apps.publishFirmware({ version: '1.2.0', image: apps.firmware!.image, corruptAt: 500_000 });
  const corrupt = JSON.parse(await priv(process.execPath, '-e', HTTP_GET, 'fw.lab.example', '/firmware/image-1.2.0.bin'));
  assert.notEqual(corrupt.sha256, apps.firmware!.sha256);

  // Hostile peers do what their names say.
  const oversized = await priv(process.execPath, '-e', RAW, 'hostile-broker.lab.example', '1883', connectPacket('oversized'), '9');
  assert.equal(oversized.trim(), '2002000030ffffff7f', 'CONNACK, then a PUBLISH announcing 268435455 bytes');
  const badLength = await priv(process.execPath, '-e', RAW, 'hostile-broker.lab.example', '1883', connectPacket('bad-length'), '10');
  assert.equal(badLength.trim(), '2002000030ffffffff01');
  const endless = await priv(process.execPath, '-e', RAW, 'hostile-fw.lab.example', '80', Buffer.from('GET /endless-headers HTTP/1.1\r\nhost: x\r\n\r\n').toString('hex'), '200000');
  assert.ok(Buffer.from(endless.trim(), 'hex').toString('latin1').split('\r\n').length > 2000, 'header lines keep coming');
  const truncated = JSON.parse(await priv(process.execPath, '-e', HTTP_GET, 'hostile-fw.lab.example', '/truncated'));
  assert.ok(truncated.error || truncated.length < 65536, 'the body stops short of its Content-Length');
  assert.ok(apps.hostileLog().some((l) => l.startsWith('mode oversized')) && apps.hostileLog().some((l) => l.startsWith('mode /endless-headers')));

  // Every process the apps lab started is gone by PID after the stop.
  const pids = apps.pids();
  assert.equal(pids.length, 4, 'mosquitto, nginx, two hostile peers');
  await lab.stop();
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), `pid ${pid} is gone`);
});
