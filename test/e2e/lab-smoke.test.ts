/** The lab itself: a loaded gateway, slirp speaking PPP on its pty, the private network's echo service. */
import assert from 'node:assert/strict';
import { labTest, startLab } from '../lab/harness.ts';
import { DNS_ADDRESS, ECHO_ADDRESS, ECHO_PORT, Lab } from '../lab/lab.ts';
import { listNamespaces } from '../lab/netns.ts';
import { connections } from '../lab/vici-text.ts';
import { PtySerial } from '../../hosts/sim/pty-serial.ts';

/** Minimal HDLC framing (RFC 1662 FCS-16, all control characters escaped), enough to wake slirp. */
function hdlcFrame(body: number[]): Uint8Array {
  let fcs = 0xffff;
  for (const b of body) {
    fcs ^= b;
    for (let i = 0; i < 8; i++) fcs = fcs & 1 ? (fcs >>> 1) ^ 0x8408 : fcs >>> 1;
  }
  fcs ^= 0xffff;
  const out = [0x7e];
  for (const b of [...body, fcs & 0xff, fcs >>> 8]) {
    if (b < 0x20 || b === 0x7e || b === 0x7d) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  out.push(0x7e);
  return Uint8Array.from(out);
}

/** Minimal HDLC unescape, enough to recognise slirp's first LCP frame. */
function frames(bytes: number[]): number[][] {
  const out: number[][] = [];
  let cur: number[] | undefined;
  let escape = false;
  for (const b of bytes) {
    if (b === 0x7e) {
      if (cur && cur.length) out.push(cur);
      cur = [];
    } else if (cur) {
      if (b === 0x7d) escape = true;
      else {
        cur.push(escape ? b ^ 0x20 : b);
        escape = false;
      }
    }
  }
  return out;
}

labTest('lab: gateway loaded, slirp sends LCP Configure-Request, echo answers, nothing left behind', async (t) => {
  const lab = await startLab(t);

  const conns = await lab.gateway.listConns();
  assert.deepEqual(connections(conns).map((c) => c.name), ['device'], 'swanctl lists the "device" connection');

  const serial = new PtySerial(lab.serialPath);
  t.after(() => serial.close());
  const received: number[] = [];
  serial.onReceive((b) => received.push(...b));
  // slirp is passive: it prints its banner and waits for the client's first LCP frame.
  serial.write(hdlcFrame([0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04]));
  const lcpRequest = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no LCP Configure-Request in ${received.length} bytes`)), 10_000);
    const poll = setInterval(() => {
      const f = frames(received).find((fr) => fr[0] === 0xff && fr[1] === 0x03 && fr[2] === 0xc0 && fr[3] === 0x21 && fr[4] === 0x01);
      if (f) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(f);
      }
    }, 20);
  });
  assert.equal(lcpRequest[4], 1, 'LCP code Configure-Request');

  const reply = await lab.exec('wan', process.execPath, 'test/lab/services/udp-probe.mjs', ECHO_ADDRESS, String(ECHO_PORT), 'ping-through-private-net');
  assert.equal(reply, 'ping-through-private-net');
  assert.ok(lab.echoLog().some((l) => l.startsWith('from 198.51.100.1:')), 'echo service saw the gateway side');
  const dns = await lab.exec('wan', 'node', '-e', `require('node:dns').promises.setServers(['${DNS_ADDRESS}']);` +
    `const r = new (require('node:dns').promises.Resolver)(); r.setServers(['${DNS_ADDRESS}']);` +
    `r.resolve4('broker.lab.example').then((a) => console.log(a.join(',')))`);
  assert.equal(dns.trim(), '198.51.100.20', 'the lab DNS answers for lab names');

  serial.close();
  const gatewayPid = lab.gateway.pid();
  await lab.stop();
  const left = (await listNamespaces()).filter((n) => n === lab.wan || n === lab.priv);
  assert.deepEqual(left, [], 'namespaces removed');
  assert.throws(() => process.kill(gatewayPid!, 0), 'charon is gone');
});

labTest('lab: an interrupted run leaves nothing behind (stale namespaces are reaped)', async () => {
  // A child process starts a lab and is killed with SIGKILL: no handler runs.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { Lab } = await import('./test/lab/lab.ts');
    const lab = await Lab.start({ slirp: true });
    console.log('UP ' + lab.wan + ' ' + lab.priv);
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /UP (\S+) (\S+)/.exec(out);
      if (m) resolve(m[0]);
    });
    child.on('exit', () => reject(new Error(`child exited early: ${out}`)));
  });
  const [, wan, priv] = line.split(' ');
  assert.ok((await listNamespaces()).includes(wan!));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // The next lab start reaps what the dead run left.
  const lab = await Lab.start({ slirp: false });
  await lab.stop();
  const left = (await listNamespaces()).filter((n) => n === wan || n === priv);
  assert.deepEqual(left, [], 'stale namespaces of a killed run are removed by the next run');
});
