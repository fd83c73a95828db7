/**
 * The TCP layer of the tunnel's inner IPv4 stack: checks and demultiplexes segments to
 * connections and listeners, answers segments for nothing with a RST (RFC 9293 3.10.7.1),
 * opens connections with RFC 6528 ISNs from random ephemeral ports, and keeps every count
 * bounded: connections (at the limit TIME_WAIT ones give way first, then half-open ones, then
 * those the app closed that are still finishing), each listener's pending ones, and the answers
 * it sends to unacceptable segments. Bad segments are dropped and counted by reason. Deferred
 * writes (the sockets') go out together when the turn ends: flush().
 */
import { addressFromBytes, type Ipv4Address } from '../../ip/address.ts';
import type { Random } from '../../platform.ts';
import { readU16 } from '../../util/bytes.ts';
import { DropCounter, type Logger } from '../../util/log.ts';
import { earliest } from '../../util/time.ts';
import { NetError } from '../errors.ts';
import { TcpConnection, type ConnectionContext, type ConnectionSettings } from './connection.ts';
import { IsnGenerator } from './isn.ts';
import { ResponseBudget } from './response-budget.ts';
import { ACK, buildSegment, parseSegment, RST, SYN, segmentLength, type OutgoingSegment, type Segment } from './segment.ts';
import { seqAdd } from './seq.ts';

export interface TcpLayerSettings extends ConnectionSettings {
  maxSockets: number;
  maxPending: number;
}

export interface TcpLayerPorts {
  /** Our address (the virtual IP), or undefined while the tunnel is down. */
  localAddress(): Uint8Array | undefined;
  /** Sends a TCP segment as an IPv4 datagram; false when it was refused or there is no address. */
  send(dst: Uint8Array, segment: Uint8Array, now: number): boolean;
  /** The largest TCP payload the tunnel carries in one packet. */
  pathMss(): number;
  /** Whether the serial line can take a segment with `payload` bytes now. */
  linkRoom(payload: number): boolean;
}

export interface TcpCounters {
  segmentsIn: number;
  segmentsOut: number;
  retransmits: number;
  fastRetransmits: number;
  challengeAcks: number;
  zeroWindowProbes: number;
  resetsSent: number;
  connectionsOpened: number;
  connectionsAccepted: number;
  connections: number;
  /** Bytes of send and receive buffers allocated now (a half-open connection has none). */
  bufferBytes: number;
  /** Highest send/receive buffer fill of any connection so far. */
  peakSendBuffer: number;
  peakReceiveBuffer: number;
  drops: Record<string, number>;
}

/** A listener's side: connections that completed the handshake, for the app to take. */
export interface ListenerHandle {
  readonly port: number;
  /** Established connections not yet taken. */
  readonly ready: number;
  take(): TcpConnection | undefined;
  close(now: number): void;
}

interface Listener {
  port: number;
  pending: Set<TcpConnection>;
  ready: TcpConnection[];
  onReady(now: number): void;
}

/** Data segments sent per turn before the layer asks for another turn (a 1400-byte AES-GCM packet is ~1 M XS computrons). */
const SEGMENTS_PER_TURN = 2;
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

export class TcpLayer {
  private readonly connections = new Map<string, TcpConnection>();
  private readonly listeners = new Map<number, Listener>();
  private readonly drops: DropCounter;
  private readonly isn: IsnGenerator;
  /** RSTs for segments that belong to nothing (each connection has its own budget). */
  private readonly answers = new ResponseBudget();
  /** Connections with deferred writes, for flush(). */
  private readonly dirty = new Set<TcpConnection>();
  private budget = SEGMENTS_PER_TURN;
  /** Set when the budget ran out with data left: the layer wants another turn at this time. */
  private moreAt: number | undefined;
  /** Set while writes wait for flush(): a host that turns at deadline() sends them in its next turn. */
  private flushAt: number | undefined;
  private readonly stats = {
    segmentsIn: 0, segmentsOut: 0, retransmits: 0, fastRetransmits: 0, challengeAcks: 0, zeroWindowProbes: 0,
    resetsSent: 0, connectionsOpened: 0, connectionsAccepted: 0, peakSendBuffer: 0, peakReceiveBuffer: 0,
  };
  private readonly context: ConnectionContext;

  constructor(
    private readonly settings: TcpLayerSettings,
    private readonly deps: { random: Random; log: Logger },
    private readonly ports: TcpLayerPorts,
  ) {
    this.drops = new DropCounter(deps.log);
    this.isn = new IsnGenerator(deps.random);
    this.context = {
      settings,
      transmit: (conn, seg, now) => this.transmit(conn.id.remote, seg, now),
      linkRoom: (payload) => ports.linkRoom(payload),
      takeBudget: (now) => this.takeBudget(now),
      pathMss: () => ports.pathMss(),
      flushLater: (conn, now) => {
        this.dirty.add(conn);
        this.flushAt ??= now;
      },
      ended: (conn) => this.forget(conn),
      drop: (reason, detail) => this.drops.drop(reason, detail),
      count: (what) => void this.stats[what]++,
    };
  }

  /** A new agent turn: the per-turn segment budget starts over. */
  beginTurn(): void {
    this.budget = SEGMENTS_PER_TURN;
  }

  // ---- receive ---------------------------------------------------------------------------

  /** A TCP segment from the inner IPv4 stack (protocol 6). */
  input(src: Uint8Array, dst: Uint8Array, bytes: Uint8Array, now: number): void {
    this.stats.segmentsIn++;
    const parsed = parseSegment(bytes, src, dst);
    if (!parsed.ok) return this.drops.drop(parsed.error);
    const seg = parsed.value;
    const remote = addressFromBytes(src);
    const conn = this.connections.get(key(remote, seg.srcPort, seg.dstPort));
    if (conn) {
      conn.input(seg, now);
      this.notePeaks(conn);
      return;
    }
    const listener = this.listeners.get(seg.dstPort);
    if (listener) return this.inputListen(listener, seg, src.slice(0, 4), remote, now);
    this.drops.drop('tcp no connection', `${remote}:${seg.srcPort} → port ${seg.dstPort}`);
    this.resetFor(seg, src.slice(0, 4), now);
  }

  /** RFC 9293 3.10.7.2, LISTEN. */
  private inputListen(l: Listener, seg: Segment, src: Uint8Array, remote: Ipv4Address, now: number): void {
    if (seg.flags & RST) return this.drops.drop('tcp rst to a listener');
    if (seg.flags & ACK) {
      this.drops.drop('tcp ack to a listener');
      return this.resetFor(seg, src, now);
    }
    if (!(seg.flags & SYN)) return this.drops.drop('tcp no syn to a listener');
    if (l.pending.size + l.ready.length >= this.settings.maxPending) return this.drops.drop('tcp listener backlog full', `port ${l.port}`);
    if (!this.makeRoom(now)) return this.drops.drop('tcp socket limit', `SYN to port ${l.port}`);
    const local = this.ports.localAddress();
    if (!local) return;
    const conn = new TcpConnection(this.context, { localPort: l.port, remote: src, remoteAddress: remote, remotePort: seg.srcPort });
    conn.events = {
      established: (t) => {
        l.pending.delete(conn);
        l.ready.push(conn);
        this.stats.connectionsAccepted++;
        l.onReady(t);
      },
      readable: () => {},
      writable: () => {},
      peerFinished: () => {},
      closed: () => {
        l.pending.delete(conn);
        const i = l.ready.indexOf(conn);
        if (i >= 0) l.ready.splice(i, 1);
      },
    };
    l.pending.add(conn);
    this.connections.set(key(remote, seg.srcPort, l.port), conn);
    conn.accept(seg, this.isn.next(local, l.port, src, seg.srcPort, now), now);
    if (seg.payload.length) this.drops.drop('tcp data on a SYN ignored');
  }

  /** A segment for no connection gets a RST, unless it is one (rate limited like every answer). */
  private resetFor(seg: Segment, dst: Uint8Array, now: number): void {
    if (seg.flags & RST) return;
    if (!this.answers.take(now)) return this.drops.drop('tcp answer rate limited');
    const reply: OutgoingSegment = seg.flags & ACK
      ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: RST, window: 0 }
      : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: seqAdd(seg.seq, segmentLength(seg)), flags: RST | ACK, window: 0 };
    this.transmit(dst, reply, now);
  }

  // ---- the app's calls -------------------------------------------------------------------

  /** Active open; the connection's events are the caller's. */
  connect(remote: Uint8Array, remotePort: number, now: number): TcpConnection {
    const local = this.ports.localAddress();
    if (!local) throw new NetError('tunnel-down', 'the tunnel is down');
    if (!this.makeRoom(now)) throw new NetError('no-sockets', `all ${this.settings.maxSockets} TCP sockets are in use`);
    const remoteAddress = addressFromBytes(remote);
    const localPort = this.ephemeralPort(remoteAddress, remotePort);
    const conn = new TcpConnection(this.context, { localPort, remote: remote.slice(0, 4), remoteAddress, remotePort });
    this.connections.set(key(remoteAddress, remotePort, localPort), conn);
    this.stats.connectionsOpened++;
    conn.open(this.isn.next(local, localPort, remote, remotePort, now), now);
    return conn;
  }

  listen(port: number, onReady: (now: number) => void): ListenerHandle {
    if (this.listeners.has(port)) throw new NetError('port-in-use', `a Listener already has TCP port ${port}`);
    const l: Listener = { port, pending: new Set(), ready: [], onReady };
    this.listeners.set(port, l);
    return {
      port,
      get ready() {
        return l.ready.length;
      },
      take: () => l.ready.shift(),
      close: (now) => {
        if (this.listeners.get(port) !== l) return;
        this.listeners.delete(port);
        // Connections nobody took are reset: no app will ever read them.
        for (const c of [...l.pending, ...l.ready]) {
          c.abort(now);
          this.notePeaks(c);
        }
      },
    };
  }

  /**
   * The turn's writes go out: each connection with deferred writes sends them in as few
   * segments as the MSS allows (Nagle and the windows apply). The network calls it after the
   * app callbacks of a turn; a write from outside a turn waits for the next timer turn.
   */
  flush(now: number): void {
    this.flushAt = undefined;
    if (this.dirty.size === 0) return;
    const conns = [...this.dirty];
    this.dirty.clear();
    for (const c of conns) {
      c.output(now);
      this.notePeaks(c);
    }
  }

  /** Lets every connection send what it holds (the serial line drained, a new turn, the path changed). */
  pump(now: number): void {
    this.moreAt = this.flushAt = undefined;
    this.dirty.clear();
    for (const c of [...this.connections.values()]) {
      c.output(now);
      this.notePeaks(c);
    }
  }

  /** The tunnel is back: every connection with data in flight retransmits now (Connection.pathRestored). */
  pathRestored(now: number): void {
    for (const c of [...this.connections.values()]) {
      c.pathRestored(now);
      this.notePeaks(c);
    }
  }

  /** Ends every connection with `error`, without RSTs: the virtual IP they used is gone. */
  abortAll(error: NetError, now: number): void {
    for (const c of [...this.connections.values()]) {
      c.abort(now, error, false);
      this.notePeaks(c);
    }
  }

  // ---- timers ----------------------------------------------------------------------------

  deadline(): number | undefined {
    let at = earliest(this.moreAt, this.flushAt);
    for (const c of this.connections.values()) at = earliest(at, c.deadline());
    return at;
  }

  onTimer(now: number): void {
    if (this.moreAt !== undefined && now >= this.moreAt) this.pump(now);
    if (this.flushAt !== undefined && now >= this.flushAt) this.flush(now);
    for (const c of [...this.connections.values()]) {
      const at = c.deadline();
      if (at !== undefined && now >= at) {
        c.onTimer(now);
        this.notePeaks(c);
      }
    }
  }

  counters(): TcpCounters {
    let bufferBytes = 0;
    for (const c of this.connections.values()) bufferBytes += c.bufferBytes;
    return { ...this.stats, connections: this.connections.size, bufferBytes, drops: this.drops.snapshot() };
  }

  // ---- internals -------------------------------------------------------------------------

  /** Buffer high-water marks for the memory figures. */
  private notePeaks(c: TcpConnection): void {
    const peaks = c.bufferPeaks;
    if (peaks.send > this.stats.peakSendBuffer) this.stats.peakSendBuffer = peaks.send;
    if (peaks.receive > this.stats.peakReceiveBuffer) this.stats.peakReceiveBuffer = peaks.receive;
  }

  private forget(c: TcpConnection): void {
    this.dirty.delete(c);
    const k = key(c.id.remoteAddress, c.id.remotePort, c.id.localPort);
    if (this.connections.get(k) === c) this.connections.delete(k);
  }

  /**
   * True when a connection may be added. At the limit the oldest connection no app holds gives
   * way: one in TIME_WAIT, else a half-open one (a SYN flood cannot hold the table), else one
   * the app closed that is still finishing (a peer that never takes our FIN cannot either);
   * those two are reset.
   */
  private makeRoom(now: number): boolean {
    if (this.connections.size < this.settings.maxSockets) return true;
    const all = [...this.connections.values()];
    const victim = all.find((c) => c.state === 'TIME_WAIT') ?? all.find((c) => c.state === 'SYN_RECEIVED' && this.isPending(c)) ?? all.find((c) => c.orphaned);
    if (!victim) return false;
    if (victim.state !== 'TIME_WAIT') this.drops.drop('tcp connection reclaimed for a new one', `${victim.describe()} in ${victim.state}`);
    victim.abort(now);
    this.notePeaks(victim);
    return true;
  }

  private isPending(c: TcpConnection): boolean {
    for (const l of this.listeners.values()) if (l.pending.has(c)) return true;
    return false;
  }

  private transmit(dst: Uint8Array, seg: OutgoingSegment, now: number): boolean {
    const local = this.ports.localAddress();
    if (!local) {
      this.drops.drop('tcp send while the tunnel is down');
      return false;
    }
    if (seg.flags & RST) this.stats.resetsSent++;
    this.stats.segmentsOut++;
    const sent = this.ports.send(dst, buildSegment(seg, local, dst), now);
    if (!sent) this.drops.drop('tcp segment not sent');
    return sent;
  }

  private takeBudget(now: number): boolean {
    if (this.budget > 0) {
      this.budget--;
      return true;
    }
    this.moreAt ??= now;
    return false;
  }

  /** A random free port (RFC 6056): an off-path attacker must guess it as well as the ISN. */
  private ephemeralPort(remote: Ipv4Address, remotePort: number): number {
    let port = EPHEMERAL_FIRST + (readU16(this.deps.random.bytes(2), 0) % EPHEMERAL_COUNT);
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      if (!this.listeners.has(port) && !this.connections.has(key(remote, remotePort, port)) && !this.localPortUsed(port)) return port;
      port = port === 0xffff ? EPHEMERAL_FIRST : port + 1;
    }
    throw new NetError('no-sockets', 'no free TCP port');
  }

  private localPortUsed(port: number): boolean {
    for (const c of this.connections.values()) if (c.id.localPort === port) return true;
    return false;
  }
}

const key = (remote: Ipv4Address, remotePort: number, localPort: number): string => `${remote}:${remotePort}>${localPort}`;
