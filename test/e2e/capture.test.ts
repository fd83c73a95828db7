/**
 * `ikelet-sim --pcap --keylog`: the capture of the PPP link opens in tshark, and with the
 * key tables tshark decrypts IKE_AUTH and the ESP-protected datagrams. Keys never reach
 * the normal log.
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labTest, startLab } from '../lab/harness.ts';

function tshark(home: string, pcap: string, ...args: string[]): string {
  return execFileSync('tshark', ['-r', pcap, '-o', 'esp.enable_encryption_decode:TRUE', ...args], {
    env: { ...process.env, HOME: home },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
}

labTest('capture: tshark decrypts IKE_AUTH and the inner datagrams with the --keylog tables', async (t) => {
  if (!fs.existsSync('/usr/bin/tshark')) throw new Error('tshark is missing: scripts/setup.sh installs it');
  const lab = await startLab(t, { modem: { registrationDelayMs: 100 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-capture-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pcap = path.join(dir, 'link.pcap');
  const keys = path.join(dir, 'keys');

  const sim = spawn(process.execPath, [
    '--import', 'tsx', 'hosts/sim/main.ts', '--manifest', 'manifests/lab/manifest.json', '--serial', lab.serialPath,
    '--pcap', pcap, '--keylog', keys, '--set', 'probeTarget=echo.lab.example:7', '--set', 'probeCount=5', '--set', 'logLevel=debug', '--set', 'natKeepalive=1',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => sim.kill('SIGKILL'));
  let out = '';
  sim.stdout.on('data', (d: Buffer) => (out += d.toString()));
  sim.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => sim.once('exit', r));
  const until = Date.now() + 60_000;
  while (!/probe: \d+\/\d+ datagrams/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.match(out, /probe: 5\/5 datagrams echoed/, out.slice(-2000));
  await new Promise((r) => setTimeout(r, 3500)); // idle: NAT keepalives every second
  sim.kill('SIGINT');
  await exited;

  // Wireshark reads the two tables from its personal configuration folder.
  const home = path.join(dir, 'home');
  fs.mkdirSync(path.join(home, '.config', 'wireshark'), { recursive: true });
  for (const f of ['ikev2_decryption_table', 'esp_sa']) fs.copyFileSync(path.join(keys, f), path.join(home, '.config', 'wireshark', f));

  const detail = tshark(home, pcap, '-V', '-Y', 'isakmp.exchangetype == 35');
  assert.match(detail, /Decrypted Data/, 'IKE_AUTH was decrypted');
  assert.match(detail, /Identification Data:device1\.example\.com/, 'IDi is visible after decryption');
  assert.match(detail, /Identification Data:gateway\.example\.net/, 'IDr is visible after decryption');
  assert.match(detail, /Integrity Checksum Data: [0-9a-f]+ \(16 bytes\)\s*\[correct\]/, 'the ICV checks');

  const inner = tshark(home, pcap, '-Y', 'udp.port == 7', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport');
  const rows = inner.trim().split('\n').map((l) => l.split('\t'));
  const requests = rows.filter(([src, dst]) => /192\.0\.2\.\d+$/.test(src!) && dst!.endsWith('198.51.100.10'));
  const replies = rows.filter(([src]) => src!.endsWith('198.51.100.10'));
  assert.equal(requests.length, 5, `the 5 inner datagrams to the echo service: ${inner}`);
  assert.equal(replies.length, 5, 'and their 5 replies');
  const dns = tshark(home, pcap, '-Y', 'dns.qry.name == "echo.lab.example"', '-T', 'fields', '-e', 'ip.src');
  assert.match(dns, /192\.0\.2\.\d+/, 'the DNS query went through the tunnel from the virtual IP');

  // RFC 3948 NAT keepalives (one 0xFF byte in UDP 4500) keep the carrier's mapping alive when idle.
  const keepalives = tshark(home, pcap, '-Y', 'udp.dstport == 4500 && udpencap.nat_keepalive', '-T', 'fields', '-e', 'frame.number');
  assert.ok(keepalives.trim().split('\n').filter(Boolean).length >= 2, `NAT keepalives while idle: ${keepalives}`);

  // Secrets stay out of the normal log, even at debug level.
  const espKeys = (fs.readFileSync(path.join(keys, 'esp_sa'), 'utf8').match(/0x[0-9a-f]{32,}/g) ?? []).map((k) => k.slice(2));
  const ikeKeys = fs.readFileSync(path.join(keys, 'ikev2_decryption_table'), 'utf8').split(',').filter((f) => /^[0-9a-f]{32,}$/.test(f));
  assert.ok(espKeys.length >= 2 && ikeKeys.length >= 2, 'the key tables hold ESP and IKE keys');
  for (const k of [...espKeys, ...ikeKeys]) assert.ok(!out.includes(k) && !out.includes(k.slice(0, 16)), 'no key (nor a prefix of one) is in the log');
  assert.ok(!out.includes('lab-psk-not-secret'), 'the PSK is not in the log');
}, 120_000);
