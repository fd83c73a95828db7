/**
 * TCP: the segment parser on segments as peers build them (every flag, options of any shape,
 * data offsets, lengths), mutated with the checksum made good again most of the time; and the
 * TcpLayer with connections both ways (connect, a listener) against a scripted peer that
 * follows the device's numbers, then sends segments mutated with valid checksums: RST, SYN and
 * FIN in and out of window, acknowledgments ahead and behind, window 0, options, sequence
 * numbers across the 2^32 wrap, while the app writes, reads, closes and time jumps. No exception,
 * every segment the device sends is valid, the socket limit and buffer memory hold, once the app
 * lets go of everything a fresh connection opens at once and carries data both ways, and with the
 * peer silent every connection is gone within 20 min.
 */
import { addressToBytes } from '../../../src/ip/address.ts';
import { finishChecksum, pseudoHeaderSum, sumWords } from '../../../src/ip/checksum.ts';
import type { Random } from '../../../src/platform.ts';
import { netSection, NET_DEFAULTS } from '../../../src/net/config.ts';
import type { TcpConnection } from '../../../src/net/tcp/connection.ts';
import { TcpLayer, type ListenerHandle } from '../../../src/net/tcp/layer.ts';
import { ACK, buildSegment, FIN, parseSegment, PSH, RST, SYN, URG, type OutgoingSegment, type Segment } from '../../../src/net/tcp/segment.ts';
import { seqAdd, seqDiff, seqGt } from '../../../src/net/tcp/seq.ts';
import { equalBytes, writeU16 } from '../../../src/util/bytes.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { hex, mutate, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { runDue } from './harness.ts';

const DEVICE = addressToBytes('192.0.2.7')!;
const PEER = addressToBytes('198.51.100.10')!;
const FLAGS = [ACK, ACK | PSH, SYN, SYN | ACK, RST, RST | ACK, FIN | ACK, FIN | PSH | ACK, FIN, URG | ACK, SYN | FIN, 0xff, 0];
/** Header fields: ports, seq, ack, data offset, flags, window, urgent pointer, the first option bytes. */
const FIELDS: Field[] = [
  { at: 0, size: 2 }, { at: 2, size: 2 }, { at: 4, size: 4 }, { at: 8, size: 4 }, { at: 12, size: 1 }, { at: 13, size: 1 },
  { at: 14, size: 2 }, { at: 18, size: 2 }, { at: 20, size: 1 }, { at: 21, size: 1 }, { at: 22, size: 2 },
];

/** Makes the TCP checksum (over the pseudo-header PEER → DEVICE) good again. */
function fixChecksum(b: Uint8Array): Uint8Array {
  if (b.length < 18) return b;
  writeU16(b, 16, 0);
  writeU16(b, 16, finishChecksum(sumWords(b, 0, b.length, pseudoHeaderSum(PEER, DEVICE, 6, b.length))));
  return b;
}

/** Options of any shape: MSS (right or wrong length), NOPs, EOL, window scale, SACK, timestamps, garbage. */
function optionBytes(rand: Rand): Uint8Array {
  const parts: number[] = [];
  for (let n = rand.int(5); n > 0; n--) {
    parts.push(...rand.pick<() => number[]>([
      () => [2, 4, rand.int(256), rand.int(256)],
      () => [2, rand.pick([0, 1, 2, 3, 5, 40]), rand.int(256), rand.int(256)],
      () => [1],
      () => [0],
      () => [3, 3, rand.int(15)],
      () => [4, 2],
      () => [8, 10, ...rand.bytes(8)],
      () => [rand.int(256), rand.int(256)],
    ])());
  }
  while (parts.length % 4) parts.push(1);
  return Uint8Array.from(parts.slice(0, 40));
}

/** A segment's bytes with raw options inserted after the fixed header (data offset set to match). */
function withOptions(seg: Uint8Array, options: Uint8Array): Uint8Array {
  const out = new Uint8Array(seg.length + options.length);
  out.set(seg.subarray(0, 20));
  out.set(options, 20);
  out.set(seg.subarray(20), 20 + options.length);
  out[12] = ((20 + options.length) / 4) << 4;
  return fixChecksum(out);
}

function randomSegment(rand: Rand): OutgoingSegment {
  return {
    srcPort: rand.chance(0.05) ? 0 : rand.between(1, 0xffff), dstPort: rand.chance(0.05) ? 0 : rand.between(1, 0xffff),
    seq: rand.u32(), ack: rand.u32(), flags: rand.pick(FLAGS), window: rand.int(0x10000),
    mss: rand.chance(0.3) ? rand.int(0x10000) : undefined,
    payload: rand.bytes(rand.chance(0.05) ? rand.int(3000) : rand.int(64)),
  };
}

// ---- the parser ----

interface ParserInput {
  bytes: Uint8Array;
  /** Built, unmutated: it must parse to exactly these fields. */
  clean?: OutgoingSegment;
  outcome?: string;
}

export const tcpSegment = fuzzTarget<undefined, ParserInput>({
  name: 'tcp-segment',
  about: 'parseSegment on segments of every flag, option shape, data offset and length, mutated, checksum mostly fixed; valid ones parse to exactly what was built',
  episode: 1_000_000,
  setup: () => undefined,
  make(rand) {
    const seg = randomSegment(rand);
    if (rand.chance(0.2) && seg.srcPort && seg.dstPort && (seg.flags & (SYN | ACK | RST)) && !(seg.flags & SYN && seg.flags & (FIN | RST))) {
      return { bytes: buildSegment(seg, PEER, DEVICE), clean: seg };
    }
    let bytes = buildSegment({ ...seg, mss: undefined }, PEER, DEVICE);
    if (rand.chance(0.5)) bytes = withOptions(bytes, optionBytes(rand));
    if (rand.chance(0.8)) bytes = mutate(rand, bytes, { fields: FIELDS, maxEdits: 3 });
    return { bytes: rand.chance(0.8) ? fixChecksum(bytes) : bytes };
  },
  feed(_s, input) {
    const r = parseSegment(input.bytes, PEER, DEVICE);
    input.outcome = r.ok ? 'ok' : r.error;
    if (r.ok) {
      const v = r.value;
      violated(v.payload.length <= input.bytes.length - 20, 'the payload overlaps the header');
      violated(v.srcPort > 0 && v.dstPort > 0, 'port zero accepted');
      violated(!(v.flags & SYN && v.flags & (FIN | RST)), 'SYN with FIN or RST accepted');
    }
    const c = input.clean;
    if (!c) return;
    violated(r.ok, `a valid segment was refused: ${input.outcome}`);
    const v = r.value;
    violated(v.srcPort === c.srcPort && v.dstPort === c.dstPort && v.seq === c.seq && v.ack === c.ack && v.flags === c.flags && v.window === c.window && v.mss === c.mss, 'a header field changed');
    violated(equalBytes(v.payload, c.payload ?? new Uint8Array(0)), 'the payload changed');
  },
  label: (_s, i) => (i.clean ? 'clean' : i.outcome ?? ''),
  show: (i) => hex(i.bytes, 512),
});

// ---- the layer with connections ----

/** The peer's view of one connection: it follows the device's numbers like a real stack. */
interface PeerSide {
  port: number;
  devicePort: number;
  /** Our next sequence number and what we acknowledge (the device's data as far as it came in order). */
  seq: number;
  ack: number;
  /** The device's side, once the app holds it (connect, or taken from the listener). */
  conn?: TcpConnection;
}

interface LayerState {
  now: number;
  layer: TcpLayer;
  listener: ListenerHandle;
  peers: PeerSide[];
  /** The device's segments since the last check, parsed. */
  sent: Segment[];
  invalid: string[];
  room: boolean;
  mss: number;
  maxSockets: number;
  bufferLimit: number;
  nextPort: number;
  rand: Rand;
}

type AppAction = 'connect' | 'write' | 'write-later' | 'read' | 'close' | 'shutdown' | 'take' | 'flush' | 'room' | 'mss';

interface LayerInput {
  advance: number;
  /** Bytes from the peer: checksum valid but in 3 % of the mutated ones. */
  segment?: Uint8Array;
  app?: AppAction;
  which: number;
  size: number;
  from: string;
}

const LISTEN_PORT = 80;

function randomFrom(rand: Rand): Random {
  return { bytes: (n) => rand.bytes(n) };
}

/** One turn of the network: the per-turn budget starts over, the work, then the turn's writes go out. */
function turn(s: LayerState, work: () => void): void {
  s.layer.beginTurn();
  work();
  s.layer.flush(s.now);
}

/** The layer's due timers, each in a turn of its own (as the network's onTimer). */
function runTimers(s: LayerState): void {
  runDue({ deadline: () => s.layer.deadline(), onTimer: (now) => turn(s, () => s.layer.onTimer(now)) }, s.now, 'tcp layer');
}

function newLayer(rand: Rand, s: LayerState): TcpLayer {
  const settings = netSection.parse({
    ...NET_DEFAULTS, tcpMaxSockets: s.maxSockets, tcpMaxPending: 2, tcpMaxRetries: rand.pick([3, 8]), tcpSynRetries: rand.pick([1, 5]),
    tcpTimeWait: rand.pick([1, 30]), tcpOutOfOrder: rand.pick([0, 2, 8]), tcpSendBuffer: rand.pick([1024, 8192]), tcpReceiveBuffer: rand.pick([1024, 8192]),
  });
  s.bufferLimit = s.maxSockets * (settings.sendBuffer + settings.receiveBuffer);
  return new TcpLayer({ ...settings }, { random: randomFrom(rand), log: silentLogger('tcp') }, {
    localAddress: () => DEVICE,
    send: (dst, bytes) => {
      const p = parseSegment(bytes, DEVICE, dst);
      if (!p.ok) s.invalid.push(`${p.error}: ${hex(bytes, 80)}`);
      else s.sent.push({ ...p.value, payload: p.value.payload.slice() });
      return true;
    },
    pathMss: () => s.mss,
    linkRoom: () => s.room,
  });
}

/** A segment from the peer of `p`, as `fields` say. */
function peerSegment(p: PeerSide, fields: Partial<OutgoingSegment> & { flags: number }): Uint8Array {
  return buildSegment({ srcPort: p.port, dstPort: p.devicePort, seq: p.seq, ack: p.ack, window: 65535, ...fields }, PEER, DEVICE);
}

/** Near the number (in window, just outside, half the space away) or anywhere; across the wrap as often as not. */
function near(rand: Rand, base: number): number {
  return seqAdd(base, rand.weighted([[6, 0], [2, rand.pick([1, -1, 2])], [2, rand.int(9000) - 1000], [1, rand.pick([65535, 65536, -65536, 0x7fffffff, -0x80000000])], [1, rand.u32()]] as const));
}

function makeSegment(rand: Rand, s: LayerState): { bytes: Uint8Array; from: string } {
  if (rand.chance(0.15) || s.peers.length === 0) {
    // A new connection to the listener (or a closed port), the peer's ISN near the wrap at times.
    const iss = rand.chance(0.3) ? seqAdd(0xffffffff, -rand.int(3000)) : rand.u32();
    const port = s.nextPort = s.nextPort === 0xffff ? 1024 : s.nextPort + 1;
    const dstPort = rand.chance(0.9) ? LISTEN_PORT : rand.between(1, 0xffff);
    const p: PeerSide = { port, devicePort: dstPort, seq: seqAdd(iss, 1), ack: 0 };
    if (dstPort === LISTEN_PORT && s.peers.length < 16) s.peers.push(p);
    return { bytes: buildSegment({ srcPort: port, dstPort, seq: iss, ack: 0, flags: SYN, window: rand.pick([0, 1, 536, 65535]), mss: rand.chance(0.8) ? rand.pick([1, 64, 536, 1460, 0xffff]) : undefined }, PEER, DEVICE), from: 'syn' };
  }
  const p = rand.pick(s.peers);
  const clean = rand.chance(0.5);
  if (clean) {
    // What a well-behaved peer sends: the handshake's ACK, data, ACKs, window updates, FIN.
    const payload = rand.chance(0.5) ? rand.bytes(rand.int(rand.chance(0.1) ? 1500 : 200)) : undefined;
    const flags = ACK | (payload ? PSH : 0) | (rand.chance(0.01) ? FIN : 0);
    const bytes = peerSegment(p, { flags, payload, window: rand.weighted([[6, 65535], [2, 0], [2, rand.int(4000)]] as const) });
    p.seq = seqAdd(p.seq, (payload?.length ?? 0) + (flags & FIN ? 1 : 0));
    return { bytes, from: 'clean' };
  }
  const seg: OutgoingSegment = {
    srcPort: p.port, dstPort: p.devicePort, seq: near(rand, p.seq), ack: near(rand, p.ack), flags: rand.pick(FLAGS),
    window: rand.pick([0, 0, 1, rand.int(0x10000), 65535]), mss: rand.chance(0.1) ? rand.int(0x10000) : undefined,
    payload: rand.chance(0.4) ? rand.bytes(rand.int(rand.chance(0.05) ? 3000 : 300)) : undefined,
  };
  let bytes = buildSegment(seg, PEER, DEVICE);
  if (rand.chance(0.1)) bytes = withOptions(bytes, optionBytes(rand));
  if (rand.chance(0.2)) bytes = fixChecksum(mutate(rand, bytes, { fields: FIELDS, maxEdits: 2 }));
  return { bytes: rand.chance(0.03) ? mutate(rand, bytes, { maxEdits: 1 }) : bytes, from: 'mutated' };
}

/** The peer learns what the device sent: it acknowledges the device's data in order, and our SYN's answer. */
function hear(s: LayerState): void {
  for (const seg of s.sent.splice(0)) {
    const p = s.peers.find((x) => x.port === seg.dstPort && x.devicePort === seg.srcPort);
    if (!p) continue;
    if (seg.flags & RST) {
      if (!p.conn) s.peers.splice(s.peers.indexOf(p), 1); // the app's connections leave when they close
      continue;
    }
    if (seg.flags & SYN) p.ack = seqAdd(seg.seq, 1);
    const start = seg.flags & SYN ? seqAdd(seg.seq, 1) : seg.seq;
    const end = seqAdd(start, seg.payload.length + (seg.flags & FIN ? 1 : 0));
    if (!seqGt(start, p.ack) && seqGt(end, p.ack)) p.ack = end;
  }
  // Connections that ended leave the peer's list.
  s.peers = s.peers.filter((p) => !p.conn || !p.conn.closedForGood);
}

function appAct(s: LayerState, input: LayerInput): void {
  const held = s.peers.filter((p) => p.conn);
  const p = held.length ? held[input.which % held.length] : undefined;
  const c = p?.conn;
  switch (input.app) {
    case 'connect': {
      if (s.peers.length >= 16) return;
      let conn: TcpConnection;
      try {
        conn = s.layer.connect(PEER, 7, s.now);
      } catch {
        return; // no-sockets: a named error for the app
      }
      s.peers.push({ port: 7, devicePort: conn.id.localPort, seq: 0, ack: 0, conn });
      const syn = s.sent.find((x) => x.flags === SYN && x.srcPort === conn.id.localPort);
      if (syn) {
        // The peer answers the SYN at once (its ISN near the wrap at times).
        const me = s.peers.at(-1)!;
        me.seq = seqAdd(input.size & 1 ? 0xffffff00 : input.size * 7919, 0);
        me.ack = seqAdd(syn.seq, 1);
        s.layer.beginTurn();
        s.layer.input(PEER, DEVICE, buildSegment({ srcPort: 7, dstPort: me.devicePort, seq: me.seq, ack: me.ack, flags: SYN | ACK, window: 65535, mss: 1400 }, PEER, DEVICE), s.now);
        me.seq = seqAdd(me.seq, 1);
      }
      return;
    }
    case 'take': {
      const conn = s.listener.take();
      if (!conn) return;
      const peer = s.peers.find((x) => x.port === conn.id.remotePort && x.devicePort === conn.id.localPort);
      if (peer) peer.conn = conn;
      else conn.close(s.now);
      return;
    }
    case 'write':
    case 'write-later':
      if (c && c.writable > 0) c.write(new Uint8Array(Math.min(c.writable, input.size)).fill(input.which), s.now, input.app === 'write-later');
      return;
    case 'read':
      if (c) c.read(input.size, s.now);
      return;
    case 'close':
      if (c) {
        c.close(s.now);
        p!.conn = undefined;
        s.peers.splice(s.peers.indexOf(p!), 1);
      }
      return;
    case 'shutdown':
      c?.shutdown(s.now);
      return;
    case 'flush':
      s.layer.pump(s.now);
      return;
    case 'room':
      s.room = !s.room;
      if (s.room) s.layer.pump(s.now);
      return;
    case 'mss':
      s.mss = [536, 1358, 100, 64][input.size % 4]!;
      return;
    default:
      return;
  }
}

function feedLayer(s: LayerState, input: LayerInput): void {
  turn(s, () => {
    if (input.segment) s.layer.input(PEER, DEVICE, input.segment, s.now);
    if (input.app) appAct(s, input);
  });
  s.now += input.advance;
  runTimers(s);
}

/** The layer's connections for a finding: state and numbers (the layer's table is private). */
function table(s: LayerState): string {
  const conns = (s.layer as unknown as { connections: Map<string, TcpConnection> }).connections.values();
  return [...conns].map((c) => `${c.state} ${JSON.stringify(c, (k, v) => (k === 'ring' || k === 'ctx' ? undefined : v))}`).join('; ');
}

function checkLayer(s: LayerState): void {
  violated(s.invalid.length === 0, `the device sent an invalid segment: ${s.invalid[0]}`);
  const counts = s.layer.counters();
  violated(counts.connections <= s.maxSockets, `${counts.connections} connections over the limit ${s.maxSockets}`);
  violated(counts.bufferBytes <= s.bufferLimit, `${counts.bufferBytes} B of buffers over ${s.bufferLimit}`);
  hear(s);
}

export const tcpConnection = fuzzTarget<LayerState, LayerInput>({
  name: 'tcp-connection',
  about: 'TcpLayer (connect + listener) against a scripted peer, then mutated segments with valid checksums (RST/SYN/FIN in and out of window, window 0, options, wrap) while the app writes, reads and closes; valid output, bounded sockets and buffers, a fresh connection works after, and everything ends with the peer silent',
  episode: 2_000,
  retainedLimit: 128 * 1024,
  setup(rand) {
    const s = { now: 1000, peers: [], sent: [], invalid: [], room: true, mss: rand.pick([536, 1358]), maxSockets: rand.pick([2, 4, 6]), nextPort: 20000, rand } as unknown as LayerState;
    s.layer = newLayer(rand, s);
    s.listener = s.layer.listen(LISTEN_PORT, () => {});
    return s;
  },
  make(rand, s) {
    const advance = rand.weighted([[5, 0], [4, rand.int(1500)], [1, rand.int(70_000)], [0.05, rand.int(15 * 60_000)]] as const);
    const app = rand.chance(0.4)
      ? rand.weighted([[3, 'connect'], [6, 'write'], [6, 'write-later'], [4, 'read'], [1, 'close'], [1, 'shutdown'], [3, 'take'], [1, 'flush'], [0.3, 'room'], [0.2, 'mss']] as const)
      : undefined;
    const seg = rand.chance(0.7) ? makeSegment(rand, s) : undefined;
    return { advance, segment: seg?.bytes, app, which: rand.int(256), size: rand.weighted([[3, rand.int(100)], [2, rand.int(3000)], [1, 9000]] as const), from: seg?.from ?? 'app' };
  },
  feed: feedLayer,
  check: checkLayer,
  end(s) {
    // The app lets go of everything: a new connection must open at once, and carry data both ways.
    s.mss = 1358;
    turn(s, () => {
      if (!s.room) {
        s.room = true;
        s.layer.pump(s.now); // the serial line drained, as serialWritable says
      }
      for (const p of s.peers) p.conn?.close(s.now);
      s.listener.close(s.now);
    });
    hear(s);
    s.sent.length = 0;
    let conn: TcpConnection;
    try {
      conn = s.layer.connect(PEER, 9, s.now);
    } catch (e) {
      violated(false, `connect() after the app closed everything: ${String(e)} (${table(s)})`);
    }
    const syn = s.sent.find((x) => x.flags === SYN && x.dstPort === 9);
    violated(syn, 'no SYN for the fresh connection');
    const p: PeerSide = { port: 9, devicePort: conn.id.localPort, seq: 777, ack: seqAdd(syn.seq, 1), conn };
    const send = (fields: Partial<OutgoingSegment> & { flags: number }) => turn(s, () => s.layer.input(PEER, DEVICE, peerSegment(p, fields), s.now));
    send({ flags: SYN | ACK, mss: 1400 });
    p.seq = 778;
    violated(conn.state === 'ESTABLISHED', `the fresh connection is ${conn.state}`);
    const data = Uint8Array.from({ length: 2000 }, (_, i) => i & 0xff);
    let written = conn.write(data, s.now);
    send({ flags: ACK | PSH, payload: data.subarray(0, 1000) });
    violated(equalBytes(conn.read(5000, s.now), data.subarray(0, 1000)), 'the fresh connection did not deliver the peer\'s data');
    let got = 0;
    for (let i = 0; i < 20 && got < 2000; i++) {
      const mine = s.sent.splice(0).filter((x) => x.dstPort === 9 && x.payload.length > 0);
      for (const x of mine) {
        const end = seqAdd(x.seq, x.payload.length);
        if (seqGt(end, p.ack)) {
          got += seqDiff(end, p.ack);
          p.ack = end;
        }
      }
      p.seq = 1778;
      send({ flags: ACK });
      written += conn.write(data.subarray(written), s.now); // the send buffer may be smaller than the data
      s.now += 250;
      runTimers(s);
    }
    violated(got >= 2000, `the fresh connection sent ${got} of 2000 bytes`);
    conn.abort(s.now);
    // Every wait ends: with the peer silent, whatever was still finishing is gone within the
    // longest bound (retransmissions or a closed window: tcpMaxRetries × 60 s; then FIN_WAIT_2, TIME_WAIT).
    for (let i = 0; i < 20; i++) {
      s.now += 60_000;
      runTimers(s);
    }
    const left = s.layer.counters().connections;
    violated(left === 0, `${left} connections still there after 20 min of silence: ${table(s)}`);
  },
  retained: (s) => s.layer,
  label: (s, i) => `${i.from} ${s.peers[0]?.conn?.state ?? 'none'}`,
  show: (i) => `+${i.advance} ms${i.app ? `, app ${i.app} (${i.which}, ${i.size})` : ''}, ${i.from}: ${i.segment ? hex(i.segment, 256) : '-'}`,
});
