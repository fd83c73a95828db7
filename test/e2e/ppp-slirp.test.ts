/**
 * PppLink against the real slirp (slirp-fullbolt) in a throwaway network namespace:
 * LCP and IPCP open, slirp hands out 10.0.2.15 and a DNS server, LCP terminates cleanly.
 * Self-contained on purpose (small helpers below); the lab harness may absorb it later.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import tty from 'node:tty';
import { HdlcDecoder, parseFrame } from '../../src/ppp/hdlc.ts';
import { PppLink, type PppEvent } from '../../src/ppp/link.ts';
import { protocolName } from '../../src/ppp/protocols.ts';
import { toHex } from '../../src/util/bytes.ts';
import { DropCounter, Logger, silentLogger } from '../../src/util/log.ts';

const SLIRP = '/usr/bin/slirp-fullbolt';
const canRun = process.getuid?.() === 0 && fs.existsSync(SLIRP) && fs.existsSync('/usr/bin/socat');

/** A pty opened raw from Node; writes retry on EAGAIN (the fd is non-blocking under tty.ReadStream). */
class RawPty {
  private readonly fd: number;
  private readonly stream: tty.ReadStream;
  private closed = false;
  constructor(file: string, onData: (b: Uint8Array) => void) {
    this.fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    this.stream = new tty.ReadStream(this.fd);
    this.stream.setRawMode(true);
    this.stream.on('data', (c: Buffer) => onData(new Uint8Array(c.buffer, c.byteOffset, c.length)));
    this.stream.on('error', () => this.close());
  }
  write(bytes: Uint8Array): void {
    let off = 0;
    while (!this.closed && off < bytes.length) {
      try {
        off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return this.close();
      }
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy(); // closes the fd
  }
}

/** Pids of the direct children of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process is already gone
  }
  return out;
}

async function waitUntil(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** IPv4/UDP datagram with a correct header checksum and UDP checksum 0 ("none", allowed on IPv4). */
function udpPacket(src: number[], dst: number[], srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(28 + payload.length);
  p.set([0x45, 0, p.length >> 8, p.length & 0xff, 0x12, 0x34, 0, 0, 64, 17, 0, 0, ...src, ...dst]);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p[10] = ~sum >> 8 & 0xff;
  p[11] = ~sum & 0xff;
  p.set([srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff, (8 + payload.length) >> 8, (8 + payload.length) & 0xff, 0, 0], 20);
  p.set(payload, 28);
  return p;
}

const ECHO_SERVER = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(7777,'127.0.0.1',()=>console.log('listening'))`;

/** Decodes a direction of the serial line into "LCP code 1 [options hex]" lines for the trace. */
function tracer(direction: string, trace: string[]): (b: Uint8Array) => void {
  const d = new HdlcDecoder(4096, new DropCounter(silentLogger()), (f) => {
    const p = parseFrame(f);
    const compressed = `${f[0] === 0xff ? '' : ' ACFC'}${p && p.info.byteOffset - f.byteOffset === (f[0] === 0xff ? 3 : 1) ? ' PFC' : ''}`;
    if (p) trace.push(`${direction}${compressed} ${protocolName(p.protocol)} ${p.protocol === 0x21 ? `${p.info.length} bytes` : toHex(p.info)}`);
  });
  d.rxAccm = 0;
  return (b) => d.push(b);
}

test('ppp: PppLink negotiates LCP and IPCP with the real slirp, then terminates', { skip: !canRun && 'needs root, slirp-fullbolt and socat', timeout: 60_000 }, async (t) => {
  const ns = `ikl-ppp-${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikl-ppp-'));
  const ttyPath = path.join(dir, 'tty');
  const trace: string[] = [];
  const logLines: string[] = [];
  let socat: ChildProcess | undefined;
  let echo: ChildProcess | undefined;
  let pty: RawPty | undefined;
  let timer: NodeJS.Timeout | undefined;

  t.after(async () => {
    if (timer) clearTimeout(timer);
    pty?.close();
    echo?.kill('SIGTERM');
    if (socat?.pid) {
      const kids = childrenOf(socat.pid); // slirp, started by socat
      const exited = new Promise((r) => (socat!.exitCode !== null ? r(null) : socat!.once('exit', r)));
      socat.kill('SIGTERM');
      for (const pid of kids) try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    }
    // Anything still inside our namespace was started by this test.
    try {
      const left = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
      for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    } catch { /* namespace already gone */ }
    try { execFileSync('ip', ['netns', 'del', ns]); } catch { /* already gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  let slirpOutput = '';
  socat = spawn('ip', ['netns', 'exec', ns, 'socat', `PTY,link=${ttyPath},raw,echo=0`, `EXEC:${SLIRP} ppp,pty,raw,echo=0,stderr`], { stdio: ['ignore', 'pipe', 'pipe'] });
  socat.stdout!.on('data', (d: Buffer) => (slirpOutput += d.toString()));
  socat.stderr!.on('data', (d: Buffer) => (slirpOutput += d.toString()));
  await waitUntil('the slirp pty', () => fs.existsSync(ttyPath) || socat!.exitCode !== null, 10_000);
  assert.ok(fs.existsSync(ttyPath), `socat/slirp exited: ${slirpOutput}`);

  const events: PppEvent[] = [];
  const received: Uint8Array[] = [];
  const traceTx = tracer('tx', trace);
  const traceRx = tracer('rx', trace);
  const log = new Logger((level, component, message) => logLines.push(`${level} ${component}: ${message}`), 'ppp', 'debug');
  const link = new PppLink(
    { pppAuth: 'none', pppUser: '', pppPassword: '', lcpEchoInterval: 2, lcpEchoFailures: 3, mru: 1500, pppPeerAddressHint: process.env.PPP_PEER_HINT },
    { random: { bytes: (n) => webcrypto.getRandomValues(new Uint8Array(n)) }, log },
    {
      writeSerial: (b) => {
        traceTx(b);
        pty?.write(b);
      },
      deliverIpv4: (p) => received.push(p.slice()),
      onEvent: (e) => events.push(e),
    },
  );
  const reschedule = (): void => {
    if (timer) clearTimeout(timer);
    const at = link.deadline();
    if (at === undefined) return;
    timer = setTimeout(() => {
      link.onTimer(performance.now());
      reschedule();
    }, Math.max(0, at - performance.now()));
  };
  pty = new RawPty(ttyPath, (b) => {
    traceRx(b);
    link.input(b, performance.now());
    reschedule();
  });

  const diagnostics = () => `\n--- trace\n${trace.join('\n')}\n--- log\n${logLines.join('\n')}\n--- slirp\n${slirpOutput}`;
  try {
    link.open(performance.now());
    reschedule();
    await waitUntil('IPCP up', () => events.some((e) => e.type === 'up'), 20_000);
    const up = events.find((e) => e.type === 'up');
    assert.ok(up && up.type === 'up');
    assert.equal(up.localAddress, '10.0.2.15');
    assert.ok(up.dns.length > 0, 'a DNS server was reported');
    assert.equal(link.currentPhase, 'Network');

    // Data path: slirp maps 10.0.2.2 to the namespace's loopback, where a UDP echo listens.
    echo = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    let echoOut = '';
    echo.stdout!.on('data', (d: Buffer) => (echoOut += d.toString()));
    await waitUntil('the UDP echo service', () => echoOut.includes('listening'), 10_000);
    const payload = new TextEncoder().encode('hello through ppp');
    link.sendIpv4(udpPacket([10, 0, 2, 15], [10, 0, 2, 2], 40000, 7777, payload), performance.now());
    await waitUntil('the UDP echo reply', () => received.some((p) => p[9] === 17), 10_000);
    const reply = received.find((p) => p[9] === 17)!;
    assert.deepEqual([...reply.subarray(12, 16)], [10, 0, 2, 2], 'reply from 10.0.2.2');
    assert.deepEqual(reply.subarray((reply[0]! & 0x0f) * 4 + 8), payload, 'payload echoed');

    // Stay up across a couple of echo intervals: slirp must not terminate IPCP after opening.
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(link.currentPhase, 'Network', 'link still up after 5 s');
    assert.ok(!events.some((e) => e.type === 'down'), 'no down event while idle');

    link.close(performance.now());
    reschedule();
    await waitUntil('final down', () => events.some((e) => e.type === 'down' && e.final), 10_000);
    const down = events.find((e) => e.type === 'down' && e.final);
    assert.ok(down && down.type === 'down');
    assert.equal(down.reason, 'closed by user');
    assert.ok(trace.some((l) => l.startsWith('rx LCP 06')), 'slirp acked our Terminate-Request');
    assert.equal(link.snapshot().drops['hdlc bad fcs'] ?? 0, 0, 'no corrupted frames');
    if (process.env.PPP_TRACE) console.log(diagnostics());
  } catch (e) {
    console.log(diagnostics());
    throw e;
  }
});
