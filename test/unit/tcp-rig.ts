/**
 * Test rigs for src/net/tcp: a TcpLayer (the device, 192.0.2.7) whose segments are captured and
 * parsed, and a scripted peer (198.51.100.10) that sends exactly the segments a test names,
 * with the pseudo-header checksum right unless told otherwise. Time is virtual.
 */
import assert from 'node:assert/strict';
import { addressToBytes } from '../../src/ip/address.ts';
import { finishChecksum, pseudoHeaderSum, sumWords } from '../../src/ip/checksum.ts';
import type { NetSettings } from '../../src/net/config.ts';
import { netSection, NET_DEFAULTS } from '../../src/net/config.ts';
import { TcpConnection } from '../../src/net/tcp/connection.ts';
import { TcpLayer } from '../../src/net/tcp/layer.ts';
import { ACK, buildSegment, parseSegment, type OutgoingSegment, type Segment } from '../../src/net/tcp/segment.ts';
import { seqAdd } from '../../src/net/tcp/seq.ts';
import { silentLogger } from '../../src/util/log.ts';
import { NetError } from '../../src/net/errors.ts';
import { seededRandom } from './seeded-random.ts';

export { seededRandom };

export const DEVICE = '192.0.2.7';
export const PEER = '198.51.100.10';
export const DEVICE_BYTES = addressToBytes(DEVICE)!;
export const PEER_BYTES = addressToBytes(PEER)!;

export function settings(overrides: Partial<typeof NET_DEFAULTS> = {}): NetSettings {
  return netSection.parse({ ...NET_DEFAULTS, ...overrides });
}

export interface Recorded {
  established: number;
  readable: number;
  writable: number;
  peerFinished: number;
  closed: Array<NetError | undefined>;
}

export class DeviceRig {
  now = 1000;
  readonly layer: TcpLayer;
  /** Segments the device sent, parsed, oldest first (take() empties it). */
  readonly sent: Segment[] = [];
  /** Every segment the device sent. */
  readonly history: Segment[] = [];
  mss = 1398;
  room = true;
  address: Uint8Array | undefined = DEVICE_BYTES;
  refuse = false;

  constructor(overrides: Partial<typeof NET_DEFAULTS> = {}, seed = 7) {
    this.layer = new TcpLayer({ ...settings(overrides) }, { random: seededRandom(seed), log: silentLogger('tcp') }, {
      localAddress: () => this.address,
      send: (dst, segment) => {
        if (this.refuse) return false;
        const parsed = parseSegment(segment, DEVICE_BYTES, dst);
        assert.ok(parsed.ok, `the device sent a valid segment: ${parsed.ok ? '' : parsed.error}`);
        const seg = { ...parsed.value, payload: parsed.value.payload.slice() };
        this.sent.push(seg);
        this.history.push(seg);
        return true;
      },
      pathMss: () => this.mss,
      linkRoom: () => this.room,
    });
  }

  /** Feeds one segment from the peer; `checksum: false` corrupts it. */
  inject(s: Partial<OutgoingSegment> & { flags: number }, options: { corrupt?: boolean; raw?: Uint8Array } = {}): void {
    const bytes = options.raw ?? buildSegment({ srcPort: 7, dstPort: 50000, seq: 0, ack: 0, window: 65535, ...s }, PEER_BYTES, DEVICE_BYTES);
    if (options.corrupt) bytes[bytes.length - 1]! ^= 0x40;
    this.layer.beginTurn();
    this.layer.input(PEER_BYTES, DEVICE_BYTES, bytes, this.now);
  }

  /** Advances virtual time, running every timer that comes due on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const at = this.layer.deadline();
      if (at === undefined || at > end) break;
      this.now = Math.max(this.now, at);
      this.layer.beginTurn();
      this.layer.onTimer(this.now);
    }
    this.now = end;
  }

  /** Takes the segments sent since the last call. */
  take(): Segment[] {
    return this.sent.splice(0);
  }

  last(): Segment {
    const s = this.sent.at(-1);
    assert.ok(s, 'the device sent a segment');
    return s;
  }

  drops(): Record<string, number> {
    return this.layer.counters().drops;
  }

  /** Opens a connection to PEER:7 and records its events. */
  connect(port = 7): { conn: TcpConnection; events: Recorded } {
    const conn = this.layer.connect(PEER_BYTES, port, this.now);
    return { conn, events: record(conn) };
  }

  /** Opens a connection and completes the handshake: the peer's ISN is `peerIss`. */
  established(peerIss = 5000, peerWindow = 65535, peerMss = 1460): { conn: TcpConnection; events: Recorded; iss: number; port: number; peer: Peer } {
    const { conn, events } = this.connect();
    const syn = this.take()[0]!;
    const peer = new Peer(this, syn.srcPort, peerIss + 1, seqAdd(syn.seq, 1));
    this.inject({ srcPort: 7, dstPort: syn.srcPort, seq: peerIss, ack: seqAdd(syn.seq, 1), flags: 0x12, window: peerWindow, mss: peerMss });
    assert.equal(conn.state, 'ESTABLISHED');
    this.take();
    return { conn, events, iss: syn.seq, port: syn.srcPort, peer };
  }
}

export function record(conn: TcpConnection): Recorded {
  const r: Recorded = { established: 0, readable: 0, writable: 0, peerFinished: 0, closed: [] };
  conn.events = {
    established: () => void r.established++,
    readable: () => void r.readable++,
    writable: () => void r.writable++,
    peerFinished: () => void r.peerFinished++,
    closed: (e) => void r.closed.push(e),
  };
  return r;
}

/** The scripted peer of one connection: tracks its own SND.NXT and what it acknowledges. */
export class Peer {
  constructor(private readonly rig: DeviceRig, readonly devicePort: number, public seq: number, public ack: number, readonly port = 7) {}

  send(flags: number, payload?: Uint8Array, extra: Partial<OutgoingSegment> = {}): void {
    this.rig.inject({ srcPort: this.port, dstPort: this.devicePort, seq: this.seq, ack: this.ack, flags, payload, ...extra });
    this.seq = seqAdd(this.seq, (payload?.length ?? 0) + (flags & 0x01 ? 1 : 0) + (flags & 0x02 ? 1 : 0));
  }

  /** Acknowledges everything the device sent so far. */
  ackAll(window = 65535): void {
    for (const s of this.rig.history) {
      if (s.dstPort !== this.port || s.srcPort !== this.devicePort) continue;
      const end = seqAdd(s.seq, s.payload.length + (s.flags & 0x01 ? 1 : 0) + (s.flags & 0x02 ? 1 : 0));
      if (((end - this.ack) | 0) > 0) this.ack = end;
    }
    this.send(ACK, undefined, { window });
  }
}

/** A raw TCP header + payload from the peer with its checksum filled in (for hand-made malformed segments). */
export function rawSegment(bytes: Uint8Array): Uint8Array {
  bytes[16] = 0;
  bytes[17] = 0;
  const c = finishChecksum(sumWords(bytes, 0, bytes.length, pseudoHeaderSum(PEER_BYTES, DEVICE_BYTES, 6, bytes.length)));
  bytes[16] = c >> 8;
  bytes[17] = c & 0xff;
  return bytes;
}

export const pattern = (n: number, offset = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => ((offset + i) * 7 + ((offset + i) >> 8)) & 0xff);
