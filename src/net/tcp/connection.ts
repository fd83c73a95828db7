/**
 * One TCP connection (RFC 9293), sans-IO: segments in through input(), out through the layer's
 * transmit; the app writes into a bounded send buffer and reads from a bounded receive buffer.
 *
 * What it implements: active and passive open (and simultaneous open), the MSS option, RFC 6298
 * retransmission with Karn and backoff, NewReno congestion control with fast retransmit on three
 * duplicate ACKs (RFC 5681, 6582), delayed ACKs, Nagle unless nodelay, sender and receiver silly
 * window avoidance, zero-window probes, out-of-order data kept in the receive buffer, FIN and
 * half-close, RFC 5961 (RSTs and SYNs in window get a challenge ACK, only an exact RST resets,
 * ACKs outside [SND.UNA - MAX.SND.WND, SND.MAX] are dropped, each connection its own answer
 * budget), bounded FIN_WAIT_2 and TIME_WAIT. Every wait ends: the retry counts are bounded and
 * end in a named error, and a window that stays closed ends the connection (persistLimitMs).
 */
import { NetError } from '../errors.ts';
import { earliest } from '../../util/time.ts';
import { ReceiveBuffer } from './receive-buffer.ts';
import { ResponseBudget } from './response-budget.ts';
import { RtoEstimator } from './rto.ts';
import { ACK, DEFAULT_MSS, FIN, PSH, RST, SYN, segmentLength, type OutgoingSegment, type Segment } from './segment.ts';
import { SendBuffer } from './send-buffer.ts';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt } from './seq.ts';

export type TcpState =
  | 'CLOSED' | 'SYN_SENT' | 'SYN_RECEIVED' | 'ESTABLISHED' | 'FIN_WAIT_1' | 'FIN_WAIT_2'
  | 'CLOSE_WAIT' | 'CLOSING' | 'LAST_ACK' | 'TIME_WAIT';

export interface ConnectionSettings {
  /** The RTO's floor (RFC 6298: 1 s). */
  minRtoMs: number;
  sendBuffer: number;
  receiveBuffer: number;
  outOfOrderRanges: number;
  maxRetries: number;
  synRetries: number;
  timeWaitMs: number;
}

/** What the layer gives each connection. */
export interface ConnectionContext {
  readonly settings: ConnectionSettings;
  /** Builds and sends the segment; false when the IP layer refused it. */
  transmit(conn: TcpConnection, segment: OutgoingSegment, now: number): boolean;
  /** Whether the serial line can take a segment carrying `payload` bytes now (pure ACKs always go). */
  linkRoom(payload: number): boolean;
  /** One more data segment in this turn? When false the layer schedules another turn. */
  takeBudget(now: number): boolean;
  /** The largest payload the tunnel path carries whole (from the negotiated ESP suite). */
  pathMss(): number;
  /** A deferred write: the layer calls output() at the end of the turn (flush). */
  flushLater(conn: TcpConnection, now: number): void;
  /** The connection is CLOSED, whoever ended it (the peer, a timer, the app): its slot is free. */
  ended(conn: TcpConnection): void;
  drop(reason: string, detail?: string): void;
  count(what: 'retransmits' | 'fastRetransmits' | 'challengeAcks' | 'zeroWindowProbes'): void;
}

/** Events for the socket that owns the connection; the layer posts them to the app after the turn. */
export interface ConnectionEvents {
  established(now: number): void;
  readable(now: number): void;
  writable(now: number): void;
  /** The peer's FIN arrived in order: no more data will come. */
  peerFinished(now: number): void;
  /** The connection is gone: error undefined for an orderly end. */
  closed(error: NetError | undefined, now: number): void;
}

const DELAYED_ACK_MS = 200;
const FIN_WAIT_2_MS = 60_000;
const MAX_WINDOW = 0xffff;
const PERSIST_MIN_MS = 1000;
const PERSIST_MAX_MS = 60_000;

/**
 * How long the peer's window may stay closed with our data waiting, however many probes it
 * ACKs (RFC 9293 3.8.6.1, RFC 6429): as long as maxRetries probes at the longest interval
 * (8 min with the defaults). Then the connection is reset with 'timeout'.
 */
export const persistLimitMs = (s: ConnectionSettings): number => s.maxRetries * PERSIST_MAX_MS;

export interface ConnectionId {
  localPort: number;
  remote: Uint8Array;
  remoteAddress: string;
  remotePort: number;
}

export class TcpConnection {
  state: TcpState = 'CLOSED';
  readonly id: ConnectionId;
  events: ConnectionEvents | undefined;
  nodelay = false;

  private sendBuf: SendBuffer | undefined;
  private recvBuf: ReceiveBuffer | undefined;

  // Send sequence space (RFC 9293 3.3.1) plus SND.MAX, the highest sequence number sent.
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  /** Our MSS for sending: the peer's option bounded by the path. */
  private peerMss = DEFAULT_MSS;

  // Receive sequence space.
  private irs = 0;
  private rcvNxt = 0;
  /** RCV.NXT + the window last advertised: never moved left. */
  private rcvAdvEdge = 0;

  private synAcked = false;

  // Closing. Once the app ends its side no data is added, so the FIN's number is fixed.
  private finQueued = false;
  private finSeq = 0;
  private peerFin = false;
  private peerFinSeq: number | undefined;
  /** The app closed its end for reading too: data arriving now is lost, so the peer gets a RST. */
  private appClosed = false;

  // Timers (absolute ms).
  private rtxAt: number | undefined;
  private persisting = false;
  private persistBackoff = 0;
  private probesUnanswered = 0;
  /** When the peer's window closed on our waiting data; undefined once it opens. */
  private persistSince: number | undefined;
  private readonly answers = new ResponseBudget();
  private ackAt: number | undefined;
  private closeAt: number | undefined;
  private retries = 0;
  private synRetransmitted = false;
  private readonly rto: RtoEstimator;
  private timing: { seq: number; at: number } | undefined;

  // Congestion control (RFC 5681, 6582).
  private cwnd = 0;
  private ssthresh = MAX_WINDOW;
  private dupAcks = 0;
  private recover: number | undefined;
  private unackedSegments = 0;
  /** End of the last segment shorter than the MSS (Minshall's Nagle: one small segment in flight at most). */
  private smallEnd: number | undefined;

  constructor(private readonly ctx: ConnectionContext, id: ConnectionId) {
    this.id = id;
    this.rto = new RtoEstimator(ctx.settings.minRtoMs);
  }

  // ---- opening ---------------------------------------------------------------------------

  /** Active open: SYN_SENT. */
  open(iss: number, now: number): void {
    this.allocate();
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.state = 'SYN_SENT';
    this.sendSyn(now);
  }

  /** Passive open from a listener's SYN: SYN_RECEIVED, SYN-ACK sent; the buffers come with the handshake's ACK. */
  accept(syn: Segment, iss: number, now: number): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.rcvAdvEdge = this.rcvNxt;
    this.takePeerMss(syn.mss);
    this.setWindow(syn);
    this.state = 'SYN_RECEIVED';
    this.sendSyn(now);
  }

  private allocate(): void {
    const s = this.ctx.settings;
    this.sendBuf = new SendBuffer(s.sendBuffer);
    this.recvBuf = new ReceiveBuffer(s.receiveBuffer, s.outOfOrderRanges);
  }

  private takePeerMss(mss: number | undefined): void {
    this.peerMss = Math.max(64, mss ?? DEFAULT_MSS);
    this.cwnd = this.initialWindow();
  }

  /** RFC 5681 3.1: IW by SMSS. */
  private initialWindow(): number {
    const mss = this.mss();
    return mss > 2190 ? 2 * mss : mss > 1095 ? 3 * mss : 4 * mss;
  }

  /** The payload size of a full segment now: the peer's MSS bounded by the path (which a rekey may change). */
  mss(): number {
    return Math.max(1, Math.min(this.peerMss, this.ctx.pathMss()));
  }

  private sendSyn(now: number): void {
    const flags = this.state === 'SYN_SENT' ? SYN : SYN | ACK;
    this.transmit({ seq: this.iss, ack: flags & ACK ? this.rcvNxt : 0, flags, mss: this.ctx.pathMss() }, now);
    this.sndNxt = seqAdd(this.iss, 1);
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    if (!this.synRetransmitted && this.timing === undefined) this.timing = { seq: this.iss, at: now };
    this.rtxAt ??= now + this.rto.rto;
  }

  // ---- app side --------------------------------------------------------------------------

  get readable(): number {
    return this.recvBuf?.available ?? 0;
  }

  /** Bytes write() takes now; 0 before the connection is established and after the app's FIN. */
  get writable(): number {
    if (!this.canQueueData()) return 0;
    return this.sendBuf?.free ?? 0;
  }

  /** High-water marks of both buffers, for the memory figures. */
  get bufferPeaks(): { send: number; receive: number } {
    return { send: this.sendBuf?.highWater ?? 0, receive: this.recvBuf?.highWater ?? 0 };
  }

  get peerFinished(): boolean {
    return this.peerFin;
  }

  private canQueueData(): boolean {
    return !this.finQueued && (this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT');
  }

  /**
   * Queues bytes for sending; returns how many were taken. `later`: they go out when the layer
   * flushes at the end of the turn, with whatever else the app writes meanwhile (fewer segments).
   */
  write(data: Uint8Array, now: number, later = false): number {
    if (!this.canQueueData() || !this.sendBuf) return 0;
    const n = this.sendBuf.write(data);
    if (n > 0) {
      if (later) this.ctx.flushLater(this, now);
      else this.output(now);
    }
    return n;
  }

  read(max: number, now: number): Uint8Array {
    const buf = this.recvBuf;
    if (!buf) return new Uint8Array(0);
    const out = buf.read(max);
    if (out.length) this.maybeWindowUpdate(now);
    this.maybeReportEnd(now);
    return out;
  }

  /** Sends a FIN after the queued data; receiving goes on (half-close). */
  shutdown(now: number): void {
    if (this.finQueued) return;
    switch (this.state) {
      case 'SYN_SENT':
        return this.finish(undefined, now);
      case 'SYN_RECEIVED':
      case 'ESTABLISHED':
        if (this.state === 'ESTABLISHED') this.state = 'FIN_WAIT_1';
        break;
      case 'CLOSE_WAIT':
        this.state = 'LAST_ACK';
        break;
      default:
        return;
    }
    this.finQueued = true;
    this.finSeq = seqAdd(this.bufferBase(), this.sendBuf?.length ?? 0);
    this.output(now);
  }

  /**
   * The app is done with the connection. Unread or later data would be lost, so that ends in a RST
   * (RFC 1122 4.2.2.13); otherwise the FIN goes after the queued data and the connection finishes
   * on its own, bounded by the retries, FIN_WAIT_2 and TIME_WAIT.
   */
  close(now: number): void {
    this.events = undefined;
    if (this.appClosed) return;
    this.appClosed = true;
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (this.readable > 0 && this.state !== 'SYN_SENT') return this.abort(now);
    this.shutdown(now);
    if (this.state === 'FIN_WAIT_2') this.closeAt = now + FIN_WAIT_2_MS;
  }

  /** Ends the connection at once, with a RST if it was synchronized and `reset` (no RST when the address it used is gone). */
  abort(now: number, error?: NetError, reset = true): void {
    if (reset && this.state !== 'CLOSED' && this.state !== 'SYN_SENT' && this.state !== 'TIME_WAIT') {
      this.transmit({ seq: this.sndNxt, ack: 0, flags: RST }, now);
    }
    this.finish(error, now);
  }

  // ---- timers ----------------------------------------------------------------------------

  deadline(): number | undefined {
    return earliest(this.rtxAt, this.ackAt, this.closeAt);
  }

  onTimer(now: number): void {
    if (this.closeAt !== undefined && now >= this.closeAt) {
      this.closeAt = undefined;
      if (this.state === 'TIME_WAIT' || this.state === 'FIN_WAIT_2') return this.finish(undefined, now);
    }
    if (this.ackAt !== undefined && now >= this.ackAt) {
      this.ackAt = undefined;
      this.sendAck(now);
    }
    if (this.rtxAt !== undefined && now >= this.rtxAt) {
      this.rtxAt = undefined;
      if (this.persisting) this.probeWindow(now);
      else this.retransmitTimeout(now);
    }
  }

  /**
   * The path is back (the tunnel up again, or moved to a new link): what is in flight goes again
   * now with the outage's backoff forgotten, instead of waiting out a timer that grew while the
   * path was down (up to the 60 s cap).
   */
  pathRestored(now: number): void {
    if (this.persisting || this.sndUna === this.sndMax) return;
    this.rto.pathRestored();
    this.rtxAt = undefined;
    this.retransmitTimeout(now, false);
  }

  private retransmitTimeout(now: number, backOff = true): void {
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (this.sndUna === this.sndMax) return; // nothing outstanding
    const synPhase = this.state === 'SYN_SENT' || this.state === 'SYN_RECEIVED';
    const limit = synPhase ? this.ctx.settings.synRetries : this.ctx.settings.maxRetries;
    if (this.retries >= limit) {
      const what = synPhase ? 'no answer to the SYN' : 'data unacknowledged';
      return this.finish(new NetError('timeout', `${this.describe()}: ${what} after ${this.retries} retransmissions`), now);
    }
    this.retries++;
    if (backOff) this.rto.expired();
    this.timing = undefined; // Karn
    if (synPhase) {
      this.ctx.count('retransmits');
      this.synRetransmitted = true;
      this.sndNxt = this.iss;
      this.sendSyn(now);
      return;
    }
    // RFC 5681 (4): one segment, then slow start from SND.UNA (go-back-N).
    this.ssthresh = Math.max(Math.floor(this.flightSize() / 2), 2 * this.mss());
    this.cwnd = this.mss();
    this.recover = undefined;
    this.dupAcks = 0;
    this.sndNxt = this.sndUna;
    this.rtxAt = now + this.rto.rto;
    this.output(now, true);
  }

  /**
   * A zero window: send one byte past it; its ACK tells whether the window opened. A window too
   * small to use (sender SWS avoidance held the data back): the override timeout sends what
   * fits (RFC 9293 3.8.6.2.1), or nothing would ever go.
   */
  private probeWindow(now: number): void {
    const buf = this.sendBuf;
    const offset = this.dataOffset(this.sndNxt);
    if (!buf || offset >= buf.length || this.sndWnd > 0) {
      this.persisting = false;
      return this.output(now, true);
    }
    if (this.probesUnanswered >= this.ctx.settings.maxRetries) {
      return this.finish(new NetError('timeout', `${this.describe()}: the peer's window stayed closed and probes went unanswered`), now);
    }
    const limit = persistLimitMs(this.ctx.settings);
    const since = (this.persistSince ??= now);
    if (now - since >= limit) {
      return this.abort(now, new NetError('timeout', `${this.describe()}: the peer's window stayed closed for ${limit / 1000} s`));
    }
    this.ctx.count('zeroWindowProbes');
    this.transmit({ seq: this.sndNxt, ack: this.rcvNxt, flags: ACK, payload: buf.copy(offset, 1) }, now);
    const probeEnd = seqAdd(this.sndNxt, 1);
    if (seqGt(probeEnd, this.sndMax)) this.sndMax = probeEnd;
    this.persistBackoff++;
    this.probesUnanswered++;
    this.rtxAt = Math.min(now + this.persistInterval(), since + limit);
  }

  private persistInterval(): number {
    return Math.min(PERSIST_MAX_MS, Math.max(PERSIST_MIN_MS, this.rto.rto) * 2 ** Math.min(this.persistBackoff, 6));
  }

  // ---- segment arrives (RFC 9293 3.10.7) -------------------------------------------------

  input(seg: Segment, now: number): void {
    if (this.state === 'CLOSED') return this.ctx.drop('tcp segment for a closed connection');
    if (this.state === 'SYN_SENT') return this.inputSynSent(seg, now);
    if (this.state === 'SYN_RECEIVED' && seg.flags & SYN && !(seg.flags & ACK) && seg.seq === this.irs) {
      // The peer did not get our SYN-ACK.
      if (this.allowResponse(now)) this.sendAck(now);
      return;
    }

    // 1. sequence number acceptable?
    if (!this.acceptable(seg)) {
      if (seg.flags & RST) return this.ctx.drop('tcp rst out of window');
      if (this.state === 'TIME_WAIT' && seg.flags & FIN && seqAdd(seg.seq, seg.payload.length + 1) === this.rcvNxt) {
        this.closeAt = now + this.ctx.settings.timeWaitMs; // its FIN again: the peer did not get our ACK
        return this.respondAck(now, false);
      }
      this.ctx.drop(seg.flags & SYN ? 'tcp syn out of window' : 'tcp segment out of window');
      return this.respondAck(now, false);
    }
    // 2. RST (RFC 5961 3.2): only an exact match resets; in window otherwise gets a challenge ACK.
    if (seg.flags & RST) {
      if (seg.seq !== this.rcvNxt) {
        this.ctx.drop('tcp rst in window, not exact');
        return this.respondAck(now, true);
      }
      if (this.state === 'SYN_RECEIVED' || this.state === 'CLOSING' || this.state === 'LAST_ACK' || this.state === 'TIME_WAIT') return this.finish(undefined, now);
      return this.finish(new NetError('reset', `${this.describe()}: reset by the peer`), now);
    }
    // 4. SYN in a synchronized state (RFC 5961 4.2): challenge ACK.
    if (seg.flags & SYN) {
      this.ctx.drop('tcp syn in window');
      return this.respondAck(now, true);
    }
    // 5. ACK
    if (!(seg.flags & ACK)) return this.ctx.drop('tcp segment without ack');
    if (!this.processAck(seg, now) || this.closedForGood) return;
    // 7. segment text
    if (seg.payload.length > 0) {
      if (this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT_1' || this.state === 'FIN_WAIT_2') {
        if (this.appClosed) return this.abort(now, undefined); // nobody will read it
        this.receiveData(seg, now);
      } else this.ctx.drop('tcp data after the peer finished');
    }
    // 8. FIN
    if (seg.flags & FIN && !this.closedForGood) this.receiveFin(seqAdd(seg.seq, seg.payload.length), now);
    if (!this.closedForGood) this.output(now);
  }

  private inputSynSent(seg: Segment, now: number): void {
    const ackOk = (seg.flags & ACK) !== 0 && seqGt(seg.ack, this.iss) && seqLe(seg.ack, this.sndMax);
    if (seg.flags & ACK && !ackOk) {
      if (seg.flags & RST) return this.ctx.drop('tcp rst with a bad ack in SYN_SENT');
      this.ctx.drop('tcp bad ack in SYN_SENT');
      return void this.transmit({ seq: seg.ack, ack: 0, flags: RST }, now);
    }
    if (seg.flags & RST) {
      if (!ackOk) return this.ctx.drop('tcp rst without ack in SYN_SENT');
      return this.finish(new NetError('refused', `${this.describe()}: connection refused (RST)`), now);
    }
    if (!(seg.flags & SYN)) return this.ctx.drop('tcp no syn in SYN_SENT');
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvAdvEdge = this.rcvNxt;
    this.takePeerMss(seg.mss);
    if (!ackOk) {
      // Simultaneous open: SYN_RECEIVED, our SYN again with an ACK.
      this.state = 'SYN_RECEIVED';
      this.setWindow(seg);
      this.transmit({ seq: this.iss, ack: this.rcvNxt, flags: SYN | ACK, mss: this.ctx.pathMss() }, now);
      return;
    }
    this.ackAdvance(seg.ack, now);
    this.setWindow(seg);
    this.established(now);
    if (seg.payload.length) this.receiveData({ ...seg, seq: seqAdd(seg.seq, 1) }, now);
    if (seg.flags & FIN) this.receiveFin(seqAdd(seg.seq, 1 + seg.payload.length), now);
    this.sendAck(now);
    this.output(now);
  }

  private established(now: number): void {
    if (!this.sendBuf) this.allocate();
    this.state = this.finQueued ? 'FIN_WAIT_1' : 'ESTABLISHED';
    this.retries = 0;
    if (this.synRetransmitted) this.rto.synRetransmitted();
    this.events?.established(now);
  }

  /** RFC 9293 3.10.7.4 first check, with the real free space as RCV.WND. */
  private acceptable(seg: Segment): boolean {
    const len = segmentLength(seg);
    const wnd = Math.max(this.receiveRoom(), Math.min(MAX_WINDOW, seqDiff(this.rcvAdvEdge, this.rcvNxt)));
    if (len === 0) return wnd === 0 ? seg.seq === this.rcvNxt : seqInWindow(seg.seq, this.rcvNxt, wnd);
    if (wnd === 0) return false;
    return seqInWindow(seg.seq, this.rcvNxt, wnd) || seqInWindow(seqAdd(seg.seq, len - 1), this.rcvNxt, wnd);
  }

  /** Returns false when the segment is to be dropped. */
  private processAck(seg: Segment, now: number): boolean {
    const ack = seg.ack;
    if (this.state === 'SYN_RECEIVED') {
      if (!(seqGt(ack, this.sndUna) && seqLe(ack, this.sndMax))) {
        this.ctx.drop('tcp bad ack in SYN_RECEIVED');
        this.transmit({ seq: ack, ack: 0, flags: RST }, now);
        return false;
      }
      this.ackAdvance(ack, now);
      this.setWindow(seg);
      this.established(now);
    }
    // RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.MAX].
    if (seqGt(ack, this.sndMax)) {
      this.ctx.drop('tcp ack of unsent data');
      this.respondAck(now, true);
      return false;
    }
    if (seqLt(ack, seqAdd(this.sndUna, -this.maxSndWnd))) {
      this.ctx.drop('tcp ack too old');
      this.respondAck(now, true);
      return false;
    }
    this.probesUnanswered = 0;
    if (seqGt(ack, this.sndUna)) {
      this.ackAdvance(ack, now);
    } else if (ack === this.sndUna && seg.payload.length === 0 && !(seg.flags & (SYN | FIN)) && seg.window === this.sndWnd && this.sndUna !== this.sndMax && !this.persisting) {
      this.duplicateAck(now);
    }
    this.updateWindow(seg);
    if (this.sndWnd > 0) this.persistSince = undefined;
    if (this.finQueued && seqGt(ack, this.finSeq)) {
      // Our FIN is acknowledged.
      if (this.state === 'FIN_WAIT_1') {
        this.state = 'FIN_WAIT_2';
        if (this.appClosed) this.closeAt = now + FIN_WAIT_2_MS;
      } else if (this.state === 'CLOSING') {
        this.enterTimeWait(now);
        this.maybeReportEnd(now);
      }
      else if (this.state === 'LAST_ACK') {
        this.finish(undefined, now);
        return false;
      }
    }
    return true;
  }

  /** New data acknowledged: buffers, RTT, congestion window, timers. */
  private ackAdvance(ack: number, now: number): void {
    const acked = seqDiff(ack, this.sndUna);
    const synNow = !this.synAcked;
    this.synAcked = true;
    const dataAcked = Math.max(0, Math.min(acked - (synNow ? 1 : 0), this.sendBuf?.length ?? 0));
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack; // e.g. a window probe was taken
    if (dataAcked) this.sendBuf?.consume(dataAcked);
    if (this.timing && seqGt(ack, this.timing.seq)) {
      this.rto.sample(now - this.timing.at);
      this.timing = undefined;
    }
    this.retries = 0;
    this.persisting = false;
    this.persistBackoff = 0;
    this.rtxAt = this.sndUna === this.sndMax ? undefined : now + this.rto.rto;
    if (this.recover !== undefined) {
      if (seqGe(ack, this.recover)) {
        this.cwnd = Math.min(this.ssthresh, this.flightSize() + this.mss()); // full ACK: leave fast recovery
        this.recover = undefined;
      } else {
        // Partial ACK (RFC 6582): the next hole goes out now; the window deflates by what was acked.
        this.retransmitFirst(now);
        this.cwnd = Math.max(this.mss(), this.cwnd - dataAcked + this.mss());
      }
    } else if (this.cwnd < this.ssthresh) this.cwnd += Math.min(dataAcked, this.mss());
    else this.cwnd += Math.max(1, Math.floor((this.mss() * this.mss()) / this.cwnd));
    this.dupAcks = 0;
    if (dataAcked && this.events && this.canQueueData()) this.events.writable(now);
  }

  /**
   * Three duplicate ACKs mean a lost segment (RFC 5681 3.2); with fewer than four segments out
   * and nothing new to send, one fewer will ever come, so fewer suffice (early retransmit, RFC
   * 5827). The first two let a new segment out beyond cwnd (limited transmit, RFC 3042): small
   * windows then still produce enough duplicates.
   */
  private duplicateAck(now: number): void {
    this.dupAcks++;
    if (this.recover !== undefined) {
      this.cwnd += this.mss(); // each duplicate: a segment left the network
      return;
    }
    const mss = this.mss();
    const outstanding = Math.ceil(this.flightSize() / mss);
    const unsent = (this.sendBuf?.length ?? 0) - this.dataOffset(this.sndMax) > 0;
    const threshold = outstanding < 4 && !unsent ? Math.max(1, outstanding - 1) : 3;
    if (this.dupAcks >= threshold) {
      this.ctx.count('fastRetransmits');
      this.ssthresh = Math.max(Math.floor(this.flightSize() / 2), 2 * mss);
      this.recover = this.sndMax;
      this.timing = undefined;
      this.retransmitFirst(now);
      this.cwnd = this.ssthresh + this.dupAcks * mss;
    }
  }

  /** Resends the first unacknowledged segment without moving SND.NXT. */
  private retransmitFirst(now: number): void {
    const buf = this.sendBuf;
    if (!buf) return;
    const len = Math.min(this.mss(), buf.length, Math.max(0, this.dataOffset(this.sndMax)));
    const fin = this.finQueued && seqAdd(this.sndUna, len) === this.finSeq && seqGt(this.sndMax, this.finSeq);
    if (len === 0 && !fin) return;
    this.ctx.count('retransmits');
    this.transmit({ seq: this.sndUna, ack: this.rcvNxt, flags: ACK | (fin ? FIN : 0), payload: len ? buf.copy(0, len) : undefined }, now);
    this.rtxAt = now + this.rto.rto;
  }

  /** SND.WND from a SYN or SYN-ACK, unconditionally. */
  private setWindow(seg: Segment): void {
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    if (seg.window > this.maxSndWnd) this.maxSndWnd = seg.window;
  }

  private updateWindow(seg: Segment): void {
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))) {
      this.sndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      if (seg.window > this.maxSndWnd) this.maxSndWnd = seg.window;
    }
  }

  private receiveData(seg: Segment, now: number): void {
    const buf = this.recvBuf!;
    const offset = seqDiff(seg.seq, this.rcvNxt);
    const advance = buf.put(offset, seg.payload);
    if (advance < 0) {
      this.ctx.drop('tcp out-of-order ranges full');
      return this.scheduleAck(now, true);
    }
    if (advance > 0) {
      this.rcvNxt = seqAdd(this.rcvNxt, advance);
      if (seqGt(this.rcvNxt, this.rcvAdvEdge)) this.rcvAdvEdge = this.rcvNxt;
      this.events?.readable(now);
      if (this.peerFinSeq !== undefined && this.rcvNxt === this.peerFinSeq) this.takeFin(now);
    }
    // Out of order, or filling a hole: ACK at once (the peer's fast retransmit counts on it).
    this.scheduleAck(now, offset !== 0 || buf.hasOutOfOrder || advance > seg.payload.length);
  }

  private receiveFin(finSeq: number, now: number): void {
    if (this.peerFin) {
      if (this.state === 'TIME_WAIT') this.closeAt = now + this.ctx.settings.timeWaitMs;
      return this.sendAck(now);
    }
    if (finSeq !== this.rcvNxt) {
      this.peerFinSeq = finSeq; // after a hole: taken when the data before it arrives
      return this.scheduleAck(now, true);
    }
    this.takeFin(now);
  }

  private takeFin(now: number): void {
    this.peerFin = true;
    this.peerFinSeq = undefined;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    if (seqGt(this.rcvNxt, this.rcvAdvEdge)) this.rcvAdvEdge = this.rcvNxt;
    switch (this.state) {
      case 'SYN_RECEIVED':
      case 'ESTABLISHED':
        this.state = 'CLOSE_WAIT';
        break;
      case 'FIN_WAIT_1':
        this.state = 'CLOSING';
        break;
      case 'FIN_WAIT_2':
        this.enterTimeWait(now);
        break;
      default:
        break;
    }
    this.sendAck(now);
    this.events?.peerFinished(now);
    this.maybeReportEnd(now);
  }

  private enterTimeWait(now: number): void {
    this.state = 'TIME_WAIT';
    this.rtxAt = undefined;
    this.ackAt = undefined;
    this.closeAt = now + this.ctx.settings.timeWaitMs;
    // Nothing more to send: the send buffer goes now; TIME_WAIT keeps sequence numbers (and unread data).
    this.sendBuf = undefined;
  }

  /** Both directions done and every byte read: the socket learns the connection ended, the buffers go. */
  private maybeReportEnd(now: number): void {
    if (this.state !== 'TIME_WAIT' || this.readable > 0) return;
    this.recvBuf = undefined;
    const events = this.events;
    this.events = undefined;
    events?.closed(undefined, now);
  }

  // ---- sending ---------------------------------------------------------------------------

  /** The sequence number of the send buffer's first byte: after the SYN, then SND.UNA. */
  private bufferBase(): number {
    return this.synAcked ? this.sndUna : seqAdd(this.iss, 1);
  }

  /** Where `seq` falls in the send buffer. */
  private dataOffset(seq: number): number {
    return seqDiff(seq, this.bufferBase());
  }

  private flightSize(): number {
    return Math.max(0, seqDiff(this.sndMax, this.sndUna));
  }

  /**
   * Sends what the windows, Nagle and the serial line allow; then a pending immediate ACK, and
   * arms the persist timer when a zero window holds data back.
   */
  output(now: number, afterTimeout = false): void {
    const buf = this.sendBuf;
    const sending = this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT' || this.state === 'FIN_WAIT_1' || this.state === 'CLOSING' || this.state === 'LAST_ACK';
    if (!buf || !sending) return this.flushAck(now);
    let first = afterTimeout;
    for (;;) {
      const offset = this.dataOffset(this.sndNxt);
      if (this.finQueued && seqGt(this.sndNxt, this.finSeq)) break; // all sent, FIN too
      const unsent = Math.max(0, buf.length - offset);
      // Limited transmit (RFC 3042): up to two segments beyond cwnd on the first duplicate ACKs.
      const extra = this.recover === undefined && this.dupAcks > 0 && this.dupAcks < 3 ? this.dupAcks * this.mss() : 0;
      // cwnd is at least one segment (RFC 5681), also when a rekey raised the path MSS above it.
      const window = Math.min(this.sndWnd, Math.max(this.cwnd, this.mss()) + extra);
      const usable = Math.max(0, seqDiff(seqAdd(this.sndUna, window), this.sndNxt));
      const len = Math.min(unsent, this.mss(), usable);
      const fin = this.finQueued && seqAdd(this.sndNxt, len) === this.finSeq;
      if (len === 0 && !fin) break;
      if (len > 0 && !first && !this.mayFormSegment(len, unsent)) break;
      if (!this.ctx.linkRoom(len)) break;
      if (len > 0 && !this.ctx.takeBudget(now)) break;
      first = false;
      const seq = this.sndNxt;
      const retransmission = seqLt(seq, this.sndMax);
      if (retransmission) this.ctx.count('retransmits');
      this.transmit({ seq, ack: this.rcvNxt, flags: ACK | (fin ? FIN : 0) | (len > 0 && len === unsent ? PSH : 0), payload: len ? buf.copy(offset, len) : undefined }, now);
      this.sndNxt = seqAdd(seq, len + (fin ? 1 : 0));
      if (len > 0 && len < this.mss()) this.smallEnd = this.sndNxt;
      if (seqGt(this.sndNxt, this.sndMax)) {
        if (!this.timing && !retransmission) this.timing = { seq, at: now };
        this.sndMax = this.sndNxt;
      }
      this.rtxAt ??= now + this.rto.rto;
      this.persisting = false;
    }
    const waiting = buf.length - this.dataOffset(this.sndNxt);
    if (this.rtxAt === undefined && this.sndUna !== this.sndMax) {
      // Something is unacknowledged (a probe, or a send the line or the turn's budget refused): a timer always runs (RFC 6298 5.1).
      this.rtxAt = now + this.rto.rto;
    } else if (this.rtxAt === undefined && waiting > 0 && this.sndWnd < Math.min(waiting, this.mss())) {
      // Data waiting, nothing in flight to bring an ACK, and a window closed or too small to use: the persist timer.
      this.persisting = true;
      if (this.sndWnd === 0) this.persistSince ??= now;
      this.rtxAt = now + this.persistInterval();
    }
    this.flushAck(now);
  }

  /**
   * Nagle (RFC 9293 3.7.4) in Minshall's form: a short segment waits only while another short one
   * is unacknowledged; and sender SWS avoidance (3.8.6.2.1).
   */
  private mayFormSegment(len: number, unsent: number): boolean {
    if (len >= this.mss()) return true;
    const smallInFlight = this.smallEnd !== undefined && seqGt(this.smallEnd, this.sndUna);
    if (len === unsent && (this.nodelay || !smallInFlight || this.finQueued)) return true;
    return this.maxSndWnd > 0 && len >= this.maxSndWnd / 2 && (this.nodelay || this.sndUna === this.sndMax);
  }

  // ---- ACKs ------------------------------------------------------------------------------

  /** Every second full segment, out-of-order data and holes get an ACK at once; the rest within 200 ms. */
  private scheduleAck(now: number, immediate: boolean): void {
    this.unackedSegments++;
    if (immediate || this.unackedSegments >= 2) this.ackAt = now;
    else this.ackAt ??= now + DELAYED_ACK_MS;
  }

  private flushAck(now: number): void {
    if (this.ackAt !== undefined && this.ackAt <= now) this.sendAck(now);
  }

  private sendAck(now: number): void {
    if (this.state === 'CLOSED' || this.state === 'SYN_SENT') return;
    if (!this.synAcked) return void this.transmit({ seq: this.iss, ack: this.rcvNxt, flags: SYN | ACK, mss: this.ctx.pathMss() }, now);
    // While retransmitting, SND.NXT is behind what the peer has: a pure ACK carries SND.MAX (as BSD
    // does), or the peer finds it out of window and drops it, ACK and all.
    this.transmit({ seq: this.persisting ? this.sndNxt : this.sndMax, ack: this.rcvNxt, flags: ACK }, now);
  }

  /** An ACK in answer to an unacceptable segment: rate limited, challenge ACKs counted (RFC 5961 7). */
  private respondAck(now: number, challenge: boolean): void {
    if (!this.allowResponse(now)) return;
    if (challenge) this.ctx.count('challengeAcks');
    this.sendAck(now);
  }

  private allowResponse(now: number): boolean {
    if (this.answers.take(now)) return true;
    this.ctx.drop('tcp answer rate limited');
    return false;
  }

  /** The window the buffer can offer, held back until it grew by min(MSS, half the buffer) (3.8.6.2.2). */
  private advertisableWindow(): number {
    const free = Math.min(this.receiveRoom(), MAX_WINDOW);
    const current = Math.min(MAX_WINDOW, Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt)));
    if (free <= current) return current;
    const threshold = Math.min(this.ctx.settings.receiveBuffer / 2, this.mss());
    return free - current >= threshold ? free : current;
  }

  /** Free receive space; a passive open offers the whole buffer before it is allocated. */
  private receiveRoom(): number {
    if (this.recvBuf) return this.recvBuf.window;
    return this.state === 'SYN_RECEIVED' ? this.ctx.settings.receiveBuffer : 0;
  }

  private maybeWindowUpdate(now: number): void {
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT' || this.state === 'SYN_SENT' || this.peerFin) return;
    const before = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    if (this.advertisableWindow() > before) this.sendAck(now);
  }

  private transmit(s: Omit<OutgoingSegment, 'srcPort' | 'dstPort' | 'window'>, now: number): boolean {
    const flags = s.flags;
    let window = 0;
    if (!(flags & RST)) {
      window = this.advertisableWindow();
      this.rcvAdvEdge = seqAdd(this.rcvNxt, window);
    }
    if (flags & ACK) {
      this.ackAt = undefined;
      this.unackedSegments = 0;
    }
    return this.ctx.transmit(this, { ...s, srcPort: this.id.localPort, dstPort: this.id.remotePort, window }, now);
  }

  // ---- the end ---------------------------------------------------------------------------

  private finish(error: NetError | undefined, now: number): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.ctx.ended(this);
    this.rtxAt = this.ackAt = this.closeAt = undefined;
    this.sendBuf = undefined;
    if (error || this.readable === 0) this.recvBuf = undefined; // an orderly end leaves unread data readable
    const events = this.events;
    this.events = undefined;
    events?.closed(error, now);
  }

  get closedForGood(): boolean {
    return this.state === 'CLOSED';
  }

  /** The app closed it and it is still finishing: nobody would notice it reclaimed. */
  get orphaned(): boolean {
    return this.appClosed && (this.state === 'FIN_WAIT_1' || this.state === 'FIN_WAIT_2' || this.state === 'CLOSING' || this.state === 'LAST_ACK');
  }

  /** Bytes its buffers hold allocated now. */
  get bufferBytes(): number {
    return (this.sendBuf?.capacity ?? 0) + (this.recvBuf?.capacity ?? 0);
  }

  describe(): string {
    return `tcp ${this.id.localPort} ↔ ${this.id.remoteAddress}:${this.id.remotePort}`;
  }
}
