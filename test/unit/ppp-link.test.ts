/**
 * PppLink end to end in process: two of our links against each other, and against a scripted
 * network-side peer (authenticator + address server) built on the same automaton.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Automaton, DEFAULT_TIMING, type OptionsHandler, type Verdict } from '../../src/ppp/automaton.ts';
import { chapMd5Response } from '../../src/ppp/auth.ts';
import { DEFAULT_FRAMING, HdlcDecoder, encodeFrame, parseFrame } from '../../src/ppp/hdlc.ts';
import { pppSection, type PppManifest } from '../../src/ppp/config.ts';
import { MIN_PEER_MRU } from '../../src/ppp/lcp.ts';
import { PppLink, type PppEvent, type PppTuning } from '../../src/ppp/link.ts';

/** The manifest keys of PPP, plus tuning, as these tests write them. */
type PppConfig = PppManifest & { pppTiming?: PppTuning['timing']; pppPeerAddressHint?: string };
const settings = (c: PppConfig) => pppSection.parse(c);
import { type ConfigOption, option } from '../../src/ppp/options.ts';
import { PROTO_CHAP, PROTO_IPCP, PROTO_LCP, PROTO_PAP } from '../../src/ppp/protocols.ts';
import { concatBytes, equalBytes, toHex, utf8 } from '../../src/util/bytes.ts';
import { DropCounter, Logger, silentLogger } from '../../src/util/log.ts';

interface Endpoint {
  input(bytes: Uint8Array, now: number): void;
  onTimer(now: number): void;
  deadline(): number | undefined;
}

/** Deterministic "random" bytes from a counter seed. */
function fakeRandom(seed: number) {
  let x = seed >>> 0;
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        out[i] = x >>> 24;
      }
      return out;
    },
  };
}

const BASE_CONFIG: PppConfig = { pppAuth: 'none', pppUser: 'device', pppPassword: 'secret', lcpEchoInterval: 0, lcpEchoFailures: 3, mru: 1500 };

/** Two endpoints joined by queues; `run` delivers bytes and fires timers in simulated time. */
class Wire {
  now = 0;
  readonly toA: Uint8Array[] = [];
  readonly toB: Uint8Array[] = [];
  /** Optional tampering with bytes in flight (return undefined to lose them). */
  filter?: (toB: boolean, bytes: Uint8Array) => Uint8Array | undefined;
  a!: Endpoint;
  b!: Endpoint;

  writerA = (bytes: Uint8Array) => this.push(true, bytes);
  writerB = (bytes: Uint8Array) => this.push(false, bytes);

  private push(toB: boolean, bytes: Uint8Array): void {
    const b = this.filter ? this.filter(toB, bytes) : bytes;
    if (b) (toB ? this.toB : this.toA).push(b);
  }

  /** Runs until `done()` or until `limitMs` of simulated time passed. */
  run(done: () => boolean, limitMs = 60_000): void {
    const end = this.now + limitMs;
    while (!done()) {
      if (this.toA.length || this.toB.length) {
        const x = this.toB.shift();
        if (x) this.b.input(x, this.now);
        const y = this.toA.shift();
        if (y) this.a.input(y, this.now);
        continue;
      }
      const ds = [this.a.deadline(), this.b.deadline()].filter((d): d is number => d !== undefined);
      if (ds.length === 0) return;
      const next = Math.max(this.now, Math.min(...ds));
      if (next > end) return;
      this.now = next;
      this.a.onTimer(this.now);
      this.b.onTimer(this.now);
    }
  }
}

function makeLink(wire: Wire, side: 'a' | 'b', config: Partial<PppConfig> = {}, seed = side === 'a' ? 1 : 2) {
  const events: PppEvent[] = [];
  const delivered: Uint8Array[] = [];
  const merged = { ...BASE_CONFIG, ...config };
  const link = new PppLink(settings(merged), { random: fakeRandom(seed), log: silentLogger() }, {
    writeSerial: side === 'a' ? wire.writerA : wire.writerB,
    deliverIpv4: (p) => delivered.push(p),
    onEvent: (e) => events.push(e),
  }, { timing: merged.pppTiming, peerAddressHint: merged.pppPeerAddressHint });
  wire[side] = link;
  return { link, events, delivered };
}

interface PeerOptions {
  auth?: 'pap' | 'chap';
  /** The MRU it asks for (taking the value a Nak suggests). */
  mru?: number;
  user?: string;
  password?: string;
  address?: number[];
  dns?: number[][];
}

/**
 * The network side, as an ISP's access server would be: asks for authentication, checks
 * the credentials, and assigns an address and DNS servers through IPCP naks.
 */
class TestPeer implements Endpoint {
  readonly lcp: Automaton;
  readonly ipcp: Automaton;
  readonly received: { protocol: number; info: Uint8Array }[] = [];
  authenticated = false;
  challenge = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  private readonly decoder: HdlcDecoder;
  private now = 0;

  constructor(private readonly write: (b: Uint8Array) => void, readonly opts: PeerOptions) {
    const drops = new DropCounter(silentLogger());
    this.decoder = new HdlcDecoder(2000, drops, (f) => this.frame(f));
    const send = (protocol: number) => (p: Uint8Array) => this.write(encodeFrame(protocol, p, DEFAULT_FRAMING));
    const lcpHandler: OptionsHandler = {
      reset: () => {},
      request: () => {
        const out: ConfigOption[] = [option(5, [0x11, 0x22, 0x33, 0x44])];
        if (opts.mru !== undefined) out.push(option(1, [opts.mru >> 8, opts.mru & 0xff]));
        if (opts.auth === 'pap') out.push(option(3, [0xc0, 0x23]));
        if (opts.auth === 'chap') out.push(option(3, [0xc2, 0x23, 5]));
        return out;
      },
      judge: (): Verdict => ({ kind: 'ack' }),
      peerAcked: () => {},
      acked: () => {},
      naked: (options) => {
        for (const o of options) if (o.type === 1 && o.data.length === 2) opts.mru = (o.data[0]! << 8) | o.data[1]!;
      },
      rejected: () => {},
    };
    this.lcp = new Automaton('peer-LCP', lcpHandler, {
      send: send(PROTO_LCP),
      thisLayerUp: (now) => this.lcpUp(now),
      thisLayerDown: () => {},
      thisLayerStarted: () => {},
      thisLayerFinished: () => {},
    }, DEFAULT_TIMING, silentLogger(), drops);
    const address = Uint8Array.from(opts.address ?? [10, 0, 2, 15]);
    const ipcpHandler: OptionsHandler = {
      reset: () => {},
      request: () => [option(3, [10, 0, 2, 2])],
      judge: (o): Verdict => {
        if (o.type === 3) return equalBytes(o.data, address) ? { kind: 'ack' } : { kind: 'nak', data: address };
        const dnsIndex = o.type === 129 ? 0 : o.type === 131 ? 1 : -1;
        const dns = opts.dns?.[dnsIndex];
        if (dnsIndex < 0 || !dns) return { kind: 'reject' };
        return equalBytes(o.data, Uint8Array.from(dns)) ? { kind: 'ack' } : { kind: 'nak', data: Uint8Array.from(dns) };
      },
      peerAcked: () => {},
      acked: () => {},
      naked: () => {},
      rejected: () => {},
    };
    this.ipcp = new Automaton('peer-IPCP', ipcpHandler, {
      send: send(PROTO_IPCP),
      thisLayerUp: () => {},
      thisLayerDown: () => {},
      thisLayerStarted: () => {},
      thisLayerFinished: () => {},
    }, DEFAULT_TIMING, silentLogger(), drops);
  }

  start(now: number): void {
    this.lcp.up(now);
    this.lcp.open(now);
  }

  input(bytes: Uint8Array, now: number): void {
    this.now = now;
    this.decoder.push(bytes);
  }

  onTimer(now: number): void {
    this.lcp.onTimer(now);
    this.ipcp.onTimer(now);
  }

  deadline(): number | undefined {
    const ds = [this.lcp.deadline(), this.ipcp.deadline()].filter((d): d is number => d !== undefined);
    return ds.length ? Math.min(...ds) : undefined;
  }

  sendRaw(protocol: number, info: Uint8Array): void {
    this.write(encodeFrame(protocol, info, DEFAULT_FRAMING));
  }

  private lcpUp(now: number): void {
    if (this.opts.auth === 'chap') {
      const name = utf8('isp');
      this.sendRaw(PROTO_CHAP, Uint8Array.of(1, 7, 0, 4 + 1 + this.challenge.length + name.length, this.challenge.length, ...this.challenge, ...name));
    }
    if (!this.opts.auth) this.networkUp(now);
  }

  private networkUp(now: number): void {
    this.ipcp.up(now);
    this.ipcp.open(now);
  }

  private frame(f: Uint8Array): void {
    const p = parseFrame(f);
    if (!p) return;
    this.received.push(p);
    const now = this.now;
    if (p.protocol === PROTO_LCP) this.lcp.input(p.info, now);
    else if (p.protocol === PROTO_IPCP) this.ipcp.input(p.info, now);
    else if (p.protocol === PROTO_PAP) this.pap(p.info, now);
    else if (p.protocol === PROTO_CHAP) this.chap(p.info, now);
  }

  private pap(info: Uint8Array, now: number): void {
    const userLen = info[4]!;
    const user = info.subarray(5, 5 + userLen);
    const pass = info.subarray(6 + userLen, 6 + userLen + info[5 + userLen]!);
    const ok = equalBytes(user, utf8(this.opts.user ?? '')) && equalBytes(pass, utf8(this.opts.password ?? ''));
    const msg = utf8(ok ? 'welcome' : 'go away');
    this.sendRaw(PROTO_PAP, Uint8Array.of(ok ? 2 : 3, info[1]!, 0, 5 + msg.length, msg.length, ...msg));
    if (ok && !this.authenticated) {
      this.authenticated = true;
      this.networkUp(now);
    }
  }

  private chap(info: Uint8Array, now: number): void {
    const id = info[1]!;
    const value = info.subarray(5, 5 + info[4]!);
    const expected = chapMd5Response(id, utf8(this.opts.password ?? ''), this.challenge);
    const ok = equalBytes(value, expected);
    this.sendRaw(PROTO_CHAP, Uint8Array.of(ok ? 3 : 4, id, 0, 4));
    if (ok && !this.authenticated) {
      this.authenticated = true;
      this.networkUp(now);
    }
  }
}


function linkPair(configA: Partial<PppConfig> = {}, configB: Partial<PppConfig> = {}) {
  const wire = new Wire();
  const a = makeLink(wire, 'a', configA);
  const b = makeLink(wire, 'b', configB);
  return { wire, a, b };
}

const ups = (events: PppEvent[]) => events.filter((e) => e.type === 'up');
const finals = (events: PppEvent[]) => events.filter((e) => e.type === 'down' && e.final);

test('link: two PppLinks negotiate LCP and IPCP, exchange IPv4, and close cleanly', () => {
  const { wire, a, b } = linkPair({ pppPeerAddressHint: '10.0.0.2' }, { pppPeerAddressHint: '10.0.0.1' });
  a.link.open(0);
  b.link.open(0);
  wire.run(() => ups(a.events).length > 0 && ups(b.events).length > 0);
  assert.deepEqual(ups(a.events), [{ type: 'up', localAddress: '10.0.0.1', peerAddress: '10.0.0.2', dns: [] }]);
  assert.deepEqual(ups(b.events), [{ type: 'up', localAddress: '10.0.0.2', peerAddress: '10.0.0.1', dns: [] }]);
  assert.equal(a.link.currentPhase, 'Network');

  const packet = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  packet[0] = 0x45;
  a.link.sendIpv4(packet, wire.now);
  wire.run(() => b.delivered.length > 0);
  assert.deepEqual(b.delivered, [packet]);
  assert.ok(wire.toB.length === 0);

  a.link.close(wire.now);
  wire.run(() => finals(a.events).length > 0 && finals(b.events).length > 0);
  assert.deepEqual(finals(a.events), [{ type: 'down', reason: 'closed by user', final: true }]);
  assert.equal(finals(b.events).length, 1, 'the peer also ends up dead (Stopping then Stopped)');
  assert.equal(a.link.currentPhase, 'Dead');
  const s = a.link.snapshot();
  assert.equal(s.ipv4Out, 1);
  assert.ok(s.framesIn > 3 && s.framesOut > 3);
  assert.deepEqual(s.drops, {});
});

test('link: a serial chunk of many IPv4 packets is handed up about 1 KiB per turn, in order; a backlog beyond 16 KiB is dropped and counted', () => {
  const { wire, a, b } = linkPair({ pppPeerAddressHint: '10.0.0.2' }, { pppPeerAddressHint: '10.0.0.1' });
  a.link.open(0);
  b.link.open(0);
  wire.run(() => ups(a.events).length > 0 && ups(b.events).length > 0);
  const packets = Array.from({ length: 4 }, (_, k) => Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + k) & 0xff));
  for (const p of packets) a.link.sendIpv4(p, wire.now);
  const chunk = concatBytes(...wire.toB.splice(0));
  b.link.input(chunk, wire.now);
  assert.deepEqual(b.delivered, packets.slice(0, 2), 'one turn: packets up to 1 KiB and the one that crosses it');
  assert.equal(b.link.deadline(), wire.now, 'the rest is due at once, in turns of their own');
  b.link.onTimer(wire.now);
  assert.deepEqual(b.delivered, packets.slice(0, 4));
  assert.notEqual(b.link.deadline(), wire.now, 'nothing left waiting');

  const many = Array.from({ length: 40 }, (_, k) => Uint8Array.from({ length: 1000 }, (_, i) => (i + k) & 0xff));
  for (const p of many) a.link.sendIpv4(p, wire.now);
  b.link.input(concatBytes(...wire.toB.splice(0)), wire.now);
  while (b.link.deadline() === wire.now) b.link.onTimer(wire.now);
  assert.deepEqual(b.delivered.slice(4), many.slice(0, 2 + 16), 'two at once, sixteen waited, the rest dropped');
  assert.equal(b.link.snapshot().drops['ipv4 backlog full'], 40 - 18);
});

test('link: compressed headers and ACCM 0 are used once LCP is open, never on LCP itself', () => {
  const { wire, a, b } = linkPair();
  const sent: Uint8Array[] = [];
  wire.filter = (toB, bytes) => {
    if (toB) sent.push(bytes);
    return bytes;
  };
  a.link.open(0);
  b.link.open(0);
  wire.run(() => ups(a.events).length > 0 && ups(b.events).length > 0);
  sent.length = 0;
  a.link.sendIpv4(Uint8Array.of(0x45, 0x01, 0x02, 0x11), wire.now);
  assert.deepEqual([...sent[0]!.subarray(0, 6)], [0x7e, 0x21, 0x45, 0x01, 0x02, 0x11], 'ACFC+PFC, raw control characters');
  a.link.close(wire.now);
  assert.deepEqual([...sent.at(-1)!.subarray(0, 5)], [0x7e, 0xff, 0x7d, 0x23, 0xc0], 'Terminate-Request uncompressed');
});

test('link: PAP with the configured credentials; the password never reaches the log', () => {
  const wire = new Wire();
  const logs: string[] = [];
  const events: PppEvent[] = [];
  const link = new PppLink(settings({ ...BASE_CONFIG, pppAuth: 'pap', pppUser: 'device', pppPassword: 'hunter2' }),
    { random: fakeRandom(9), log: new Logger((l, c, m) => logs.push(`${l} ${c} ${m}`), 'ppp', 'debug') },
    { writeSerial: wire.writerA, deliverIpv4: () => {}, onEvent: (e) => events.push(e) });
  wire.a = link;
  const peer = new TestPeer(wire.writerB, { auth: 'pap', user: 'device', password: 'hunter2', dns: [[10, 0, 2, 3], [10, 0, 2, 4]] });
  wire.b = peer;
  link.open(0);
  peer.start(0);
  wire.run(() => ups(events).length > 0);
  assert.ok(peer.authenticated);
  assert.deepEqual(ups(events), [{ type: 'up', localAddress: '10.0.2.15', peerAddress: '10.0.2.2', dns: ['10.0.2.3', '10.0.2.4'] }]);
  const pap = peer.received.find((p) => p.protocol === PROTO_PAP)!;
  assert.deepEqual([...pap.info.subarray(4)], [6, ...utf8('device'), 7, ...utf8('hunter2')]);
  assert.ok(!logs.some((l) => l.includes('hunter2')), 'password not logged');
});

test('link: PAP refused by the peer ends the link with the reason', () => {
  const wire = new Wire();
  const a = makeLink(wire, 'a', { pppAuth: 'pap', pppPassword: 'wrong' });
  const peer = new TestPeer(wire.writerB, { auth: 'pap', user: 'device', password: 'right' });
  wire.b = peer;
  a.link.open(0);
  peer.start(0);
  wire.run(() => finals(a.events).length > 0);
  const down = finals(a.events)[0];
  assert.ok(down?.type === 'down' && down.reason.startsWith('PAP authentication refused: go away'), JSON.stringify(down));
});

test('link: CHAP-MD5 challenge answered; the network comes up', () => {
  const wire = new Wire();
  const a = makeLink(wire, 'a', { pppAuth: 'chap', pppUser: 'device', pppPassword: 'secret' });
  const peer = new TestPeer(wire.writerB, { auth: 'chap', password: 'secret', dns: [[10, 0, 2, 3]] });
  wire.b = peer;
  a.link.open(0);
  peer.start(0);
  wire.run(() => ups(a.events).length > 0);
  const response = peer.received.find((p) => p.protocol === PROTO_CHAP)!;
  // md5(0x07 || "secret" || 01..08), checked with Python's hashlib
  assert.equal(toHex(response.info.subarray(5, 21)), '5bcc06f518a0d62562ac86640126379c');
  assert.deepEqual(response.info.subarray(21), utf8('device'), 'name = configured user');
  assert.deepEqual(ups(a.events)[0], { type: 'up', localAddress: '10.0.2.15', peerAddress: '10.0.2.2', dns: ['10.0.2.3'] });
});

test('link: authentication the config does not allow is refused in LCP', () => {
  for (const [pppAuth, peerAuth, code] of [['none', 'pap', 4], ['chap', 'pap', 3], ['pap', 'chap', 3]] as const) {
    const wire = new Wire();
    makeLink(wire, 'a', { pppAuth });
    const peer = new TestPeer(wire.writerB, { auth: peerAuth });
    wire.b = peer;
    (wire.a as PppLink).open(0);
    peer.start(0);
    wire.run(() => peer.received.some((p) => p.protocol === PROTO_LCP && p.info[0] === code), 1000);
    const reply = peer.received.find((p) => p.protocol === PROTO_LCP && (p.info[0] === 3 || p.info[0] === 4))!;
    assert.equal(reply.info[0], code, `${pppAuth} vs ${peerAuth}: ${code === 3 ? 'nak' : 'reject'}`);
    if (code === 3) assert.deepEqual([...reply.info.subarray(4, 6)], [3, pppAuth === 'pap' ? 4 : 5], 'nak suggests the allowed protocol');
  }
});

test('link: unknown protocols get a Protocol-Reject; echo requests are answered; peer Terminate ends the link', () => {
  const wire = new Wire();
  const a = makeLink(wire, 'a');
  const peer = new TestPeer(wire.writerB, { dns: [[10, 0, 2, 3]] });
  wire.b = peer;
  a.link.open(0);
  peer.start(0);
  wire.run(() => ups(a.events).length > 0);
  peer.sendRaw(0x80fd, Uint8Array.of(1, 1, 0, 4)); // CCP Configure-Request
  peer.sendRaw(PROTO_LCP, Uint8Array.of(9, 0x42, 0, 12, 0x11, 0x22, 0x33, 0x44, 0xde, 0xad, 0xbe, 0xef));
  peer.sendRaw(PROTO_LCP, Uint8Array.of(11, 0x43, 0, 6, 1, 2)); // Discard-Request: ignored
  peer.sendRaw(PROTO_LCP, Uint8Array.of(77, 0x44, 0, 4)); // unknown LCP code
  wire.run(() => false, 100);
  const lcp = peer.received.filter((p) => p.protocol === PROTO_LCP).map((p) => p.info);
  const protoReject = lcp.find((i) => i[0] === 8)!;
  assert.deepEqual([...protoReject.subarray(4)], [0x80, 0xfd, 1, 1, 0, 4]);
  const echo = lcp.find((i) => i[0] === 10)!;
  assert.equal(echo[1], 0x42);
  assert.deepEqual([...echo.subarray(8)], [0xde, 0xad, 0xbe, 0xef], 'echo data returned');
  assert.notDeepEqual([...echo.subarray(4, 8)], [0x11, 0x22, 0x33, 0x44], 'with our magic number');
  const codeReject = lcp.find((i) => i[0] === 7)!;
  assert.deepEqual([...codeReject.subarray(4)], [77, 0x44, 0, 4]);
  assert.equal(lcp.filter((i) => i[0] === 10).length, 1);

  peer.lcp.close(wire.now, 'bye');
  wire.run(() => finals(a.events).length > 0);
  assert.deepEqual(a.events.filter((e) => e.type === 'down'), [
    { type: 'down', reason: 'IPCP down', final: false },
    { type: 'down', reason: 'peer terminated', final: true },
  ]);
});

test('link: echo supervision declares a silent peer dead after lcpEchoFailures', () => {
  const wire = new Wire();
  const a = makeLink(wire, 'a', { lcpEchoInterval: 10, lcpEchoFailures: 3 });
  const peer = new TestPeer(wire.writerB, {});
  wire.b = peer;
  a.link.open(0);
  peer.start(0);
  wire.run(() => ups(a.events).length > 0);
  const upAt = wire.now;
  let echoes = 0;
  wire.filter = (toB, bytes) => {
    if (toB && bytes[4] === 0xc0 && bytes[7] === (0x09 ^ 0x20)) echoes++; // 7e ff 7d23 c021 7d29: escaped code 9
    return toB ? undefined : bytes; // the peer goes deaf
  };
  wire.run(() => finals(a.events).length > 0, 120_000);
  const down = finals(a.events)[0];
  assert.ok(down?.type === 'down' && down.reason === 'peer not responding');
  assert.equal(echoes, 3);
  assert.ok(wire.now - upAt >= 40_000 && wire.now - upAt <= 50_000, `dead after ${wire.now - upAt} ms`);
});

test('link: LCP renegotiation after open takes the network down and up again', () => {
  const wire = new Wire();
  const a = makeLink(wire, 'a');
  const peer = new TestPeer(wire.writerB, { dns: [[10, 0, 2, 3]] });
  wire.b = peer;
  a.link.open(0);
  peer.start(0);
  wire.run(() => ups(a.events).length > 0);
  peer.lcp.open(wire.now);
  peer.sendRaw(PROTO_LCP, Uint8Array.of(1, 0x77, 0, 10, 5, 6, 0x11, 0x22, 0x33, 0x45)); // a fresh Configure-Request
  wire.run(() => ups(a.events).length > 1, 30_000);
  assert.deepEqual(a.events.map((e) => e.type), ['up', 'down', 'up']);
});

test('link: no answer at all ends in a final down after max-configure', () => {
  const wire = new Wire();
  const a = makeLink(wire, 'a', { pppTiming: { restartMs: 1000, maxConfigure: 3 } });
  wire.b = { input: () => {}, onTimer: () => {}, deadline: () => undefined };
  a.link.open(0);
  wire.run(() => finals(a.events).length > 0);
  assert.deepEqual(finals(a.events), [{ type: 'down', reason: 'LCP negotiation timed out', final: true }]);
  assert.equal(wire.now, 3000);
  assert.equal(a.link.deadline(), undefined);
});

test('link: a looped-back line is detected through the magic number', () => {
  const wire = new Wire();
  const a = makeLink(wire, 'a');
  // The line returns everything we send to ourselves.
  wire.filter = (_toB, bytes) => {
    wire.toA.push(bytes);
    return undefined;
  };
  wire.b = { input: () => {}, onTimer: () => {}, deadline: () => undefined };
  a.link.open(0);
  wire.run(() => finals(a.events).length > 0);
  assert.deepEqual(finals(a.events).map((e) => e.type === 'down' && e.reason), ['serial line looped back']);
});

test(`link: a peer MRU below what the tunnel needs (${MIN_PEER_MRU}) is refused with a Nak suggesting it; the peer that takes it gets the link`, () => {
  for (const mru of [128, MIN_PEER_MRU - 1]) {
    const wire = new Wire();
    const { link, events } = makeLink(wire, 'a');
    const peer = new TestPeer(wire.writerB, { mru });
    wire.b = peer;
    link.open(0);
    peer.start(0);
    wire.run(() => ups(events).length > 0, 5000);
    const nak = peer.received.find((p) => p.protocol === PROTO_LCP && p.info[0] === 3);
    assert.ok(nak, `MRU ${mru}: a Configure-Nak`);
    assert.deepEqual([...nak.info.subarray(4, 8)], [1, 4, MIN_PEER_MRU >> 8, MIN_PEER_MRU & 0xff], 'suggesting the minimum');
    assert.equal(ups(events).length, 1);
    assert.equal(link.peerMru, MIN_PEER_MRU);
  }
  // At the minimum: acknowledged as it is.
  const wire = new Wire();
  const { link, events } = makeLink(wire, 'a');
  const peer = new TestPeer(wire.writerB, { mru: MIN_PEER_MRU });
  wire.b = peer;
  link.open(0);
  peer.start(0);
  wire.run(() => ups(events).length > 0, 5000);
  assert.ok(!peer.received.some((p) => p.protocol === PROTO_LCP && p.info[0] === 3));
  assert.equal(link.peerMru, MIN_PEER_MRU);
});
