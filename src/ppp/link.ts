/**
 * PppLink: the whole PPP client on an async serial line. Frames bytes (HDLC), runs LCP,
 * authenticates, runs IPCP, and carries IPv4 once the network phase is up.
 * Phases follow RFC 1661 section 3.2: Dead, Establish, Authenticate, Network, Terminate.
 */
import type { Random } from '../platform.ts';
import type { PppSettings } from './config.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { earliest } from '../util/time.ts';
import { parseIpv4 } from '../util/bytes.ts';
import { DEFAULT_TIMING, type AutomatonTiming } from './automaton.ts';
import type { Authenticator } from './auth.ts';
import { AUTH_METHODS } from './auth-methods.ts';
import { DEFAULT_FRAMING, HdlcDecoder, encodeFrame, parseFrame, type TxFraming } from './hdlc.ts';
import { Ipcp, type IpcpPorts, type IpcpResult } from './ipcp.ts';
import { Lcp, type LcpPorts } from './lcp.ts';
import { PROTO_CHAP, PROTO_IPCP, PROTO_IPV4, PROTO_LCP, PROTO_PAP, protocolName } from './protocols.ts';

export type PppPhase = 'Dead' | 'Establish' | 'Authenticate' | 'Network' | 'Terminate';

/** Tuning that is not device configuration. */
export interface PppTuning {
  /** Restart timer and counters of RFC 1661 section 4.6 (defaults 3 s, 10, 2, 5). */
  timing?: Partial<AutomatonTiming>;
  /**
   * What we nak to a peer that asks for IP address 0.0.0.0 (it wants to be told one).
   * Default 10.64.64.64, pppd's convention for "remote address unknown".
   */
  peerAddressHint?: string;
}

export type PppEvent =
  | ({ type: 'up' } & IpcpResult)
  /** final: the link is Dead (the host should hang up / redial); otherwise PPP is renegotiating. */
  | { type: 'down'; reason: string; final: boolean };

export interface PppPorts {
  writeSerial(bytes: Uint8Array, now: number): void;
  deliverIpv4(packet: Uint8Array, now: number): void;
  onEvent(event: PppEvent, now: number): void;
}

export interface PppCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  ipv4In: number;
  ipv4Out: number;
  /** Dropped input by reason (bad FCS, too long, unknown protocol, ...). */
  drops: Record<string, number>;
}

const DEFAULT_PEER_HINT = Uint8Array.of(10, 64, 64, 64);
const HDLC_OVERHEAD = 8; // address, control, protocol, FCS, slack
/**
 * IPv4 bytes handed up per turn. Above it the rest of a serial chunk waits for the next turn: each
 * packet may be an ESP packet to open (a 1400-byte one is 0.5–1.0 M XS computrons), and a turn
 * that opens several keeps the device's event loop from everything else. At least one packet goes
 * up each turn.
 */
const IPV4_BYTES_PER_TURN = 1024;
/** Waiting IPv4 beyond this is dropped and counted: the serial line outran the turns. */
const IPV4_BACKLOG_BYTES = 16384;

export class PppLink implements LcpPorts, IpcpPorts {
  private phase: PppPhase = 'Dead';
  private readonly log: Logger;
  private readonly drops: DropCounter;
  private readonly decoder: HdlcDecoder;
  private readonly lcp: Lcp;
  private readonly ipcp: Ipcp;
  private auth: Authenticator | undefined;
  private framing: TxFraming = DEFAULT_FRAMING;
  private networkUp = false;
  /** IPv4 packets read from the line and not yet handed up (over IPV4_BYTES_PER_TURN this turn). */
  private readonly backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private handedUp = 0;
  private readonly pending: PppEvent[] = [];
  private emitting = false;
  private readonly counters = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, ipv4In: 0, ipv4Out: 0 };
  /** The `now` of the call being served (set by every entry point, see guard()). */
  private now = 0;

  constructor(
    private readonly settings: PppSettings,
    deps: { random: Random; log: Logger },
    private readonly ports: PppPorts,
    tuning: PppTuning = {},
  ) {
    this.log = deps.log;
    this.drops = new DropCounter(deps.log);
    const timing = { ...DEFAULT_TIMING, ...tuning.timing };
    this.decoder = new HdlcDecoder(Math.max(settings.mru, 1500) + HDLC_OVERHEAD, this.drops, (f) => this.frame(f));
    // A device built for another method (mcconfig pppAuth=... after build:esp32) lacks this one's code:
    // it says so and agrees to no authentication, which the peer may accept or not.
    const Method = settings.auth === 'none' ? undefined : AUTH_METHODS[settings.auth];
    if (settings.auth !== 'none' && !Method) deps.log.error(`pppAuth '${settings.auth}' is not in this build; rebuild with npm run build:esp32`);
    this.lcp = new Lcp(
      { mru: settings.mru, auth: Method ? settings.auth : 'none', echoIntervalMs: settings.echoIntervalMs, echoFailures: settings.echoFailures },
      { random: deps.random, log: deps.log.child('lcp'), drops: this.drops },
      this,
      timing,
    );
    const parsedHint = tuning.peerAddressHint ? parseIpv4(tuning.peerAddressHint) : undefined;
    const hint = parsedHint && parsedHint.some((x) => x !== 0) ? parsedHint : DEFAULT_PEER_HINT; // 0.0.0.0 would nak forever
    this.ipcp = new Ipcp(hint, { log: deps.log.child('ipcp'), drops: this.drops }, this, timing);
    if (Method) {
      const authTiming = { restartMs: timing.restartMs, maxConfigure: timing.maxConfigure };
      const authPorts = {
        send: (p: Uint8Array) => this.sendFrame(settings.auth === 'pap' ? PROTO_PAP : PROTO_CHAP, p),
        succeeded: (now: number) => this.enterNetwork(now),
        failed: (reason: string, now: number) => {
          this.log.warn(reason);
          this.lcp.automaton.close(now, reason);
        },
      };
      this.auth = new Method(settings.user, settings.password, authTiming, deps.log.child('auth'), this.drops, authPorts);
    }
  }

  /** This timer turn handed up IPv4 that had waited: the turn has had its share of work. */
  get handedUpWaiting(): boolean {
    return this.handedUp > 0;
  }

  /** The largest packet the peer takes (its MRU, from LCP): the link's MTU. */
  get peerMru(): number {
    return this.lcp.result().peerMru;
  }

  get currentPhase(): PppPhase {
    return this.phase;
  }

  /** Starts LCP; call once the serial line carries PPP (e.g. after the modem's CONNECT). */
  open(now: number): void {
    this.guard(now, () => {
      if (this.phase !== 'Dead') return;
      this.setPhase('Establish');
      this.lcp.automaton.open(now);
      this.lcp.automaton.up(now);
    });
  }

  /** Terminates LCP gracefully; a final 'down' event follows once the peer acks (or the timer gives up). */
  close(now: number, reason = 'closed by user'): void {
    this.guard(now, () => {
      if (this.phase === 'Dead') return;
      this.lcp.automaton.close(now, reason);
    });
  }

  input(bytes: Uint8Array, now: number): void {
    this.guard(now, () => {
      this.counters.bytesIn += bytes.length;
      this.handedUp = 0;
      this.decoder.push(bytes);
    });
  }

  /** Sends one IPv4 packet; dropped (and counted) unless the network phase is up. */
  sendIpv4(packet: Uint8Array, now: number): void {
    this.guard(now, () => {
      if (!this.networkUp) return this.drops.drop('ipv4 send while network down');
      if (packet.length > this.lcp.result().peerMru) return this.drops.drop('ipv4 send larger than peer MRU');
      this.counters.ipv4Out++;
      this.sendFrame(PROTO_IPV4, packet);
    });
  }

  deadline(): number | undefined {
    return earliest(this.lcp.deadline(), this.ipcp.automaton.deadline(), this.auth?.deadline(), this.backlog.length ? this.now : undefined);
  }

  onTimer(now: number): void {
    this.guard(now, () => {
      this.lcp.onTimer(now);
      this.ipcp.automaton.onTimer(now);
      this.auth?.onTimer(now);
      this.handedUp = 0; // counts what waited and goes up now
      while (this.backlog.length && this.handedUp < IPV4_BYTES_PER_TURN) {
        const packet = this.backlog.shift()!;
        this.backlogBytes -= packet.length;
        this.handUp(packet, now);
      }
    });
  }

  snapshot(): PppCounters {
    return { ...this.counters, drops: this.drops.snapshot() };
  }

  /** Every entry point: bad input must never throw out of the link, and events leave after the work is done. */
  private guard(now: number, work: () => void): void {
    this.now = now;
    try {
      work();
    } catch (e) {
      this.drops.drop('internal error', e instanceof Error ? e.message : String(e));
    }
    this.flushEvents();
  }

  private frame(frame: Uint8Array): void {
    const packet = parseFrame(frame);
    if (!packet) return this.drops.drop('ppp bad header');
    const now = this.now;
    this.counters.framesIn++;
    this.lcp.heard(now);
    const { protocol, info } = packet;
    switch (protocol) {
      case PROTO_LCP:
        return this.lcp.input(info, now);
      case PROTO_PAP:
      case PROTO_CHAP:
        if (this.auth && (this.phase === 'Authenticate' || this.phase === 'Network') && protocol === (this.settings.auth === 'pap' ? PROTO_PAP : PROTO_CHAP)) return this.auth.input(info, now);
        return this.drops.drop('auth packet unexpected');
      case PROTO_IPCP:
        if (this.phase === 'Network') return this.ipcp.automaton.input(info, now);
        return this.drops.drop('IPCP before network phase');
      case PROTO_IPV4:
        if (!this.networkUp) return this.drops.drop('ipv4 while network down');
        this.counters.ipv4In++;
        if (this.handedUp < IPV4_BYTES_PER_TURN && !this.backlog.length) return this.handUp(info, now);
        if (this.backlogBytes + info.length > IPV4_BACKLOG_BYTES) return this.drops.drop('ipv4 backlog full');
        this.backlog.push(info);
        this.backlogBytes += info.length;
        return;
      default:
        this.drops.drop('unknown protocol', protocolName(protocol));
        this.lcp.rejectProtocol(protocol, info);
    }
  }

  private sendFrame(protocol: number, info: Uint8Array): void {
    const bytes = encodeFrame(protocol, info, this.framing);
    this.counters.framesOut++;
    this.counters.bytesOut += bytes.length;
    this.ports.writeSerial(bytes, this.now);
  }

  // ---- LCP's and IPCP's ports (methods of the link, not closures: RAM on XS) ----

  sendLcp(packet: Uint8Array): void {
    this.sendFrame(PROTO_LCP, packet);
  }

  sendIpcp(packet: Uint8Array): void {
    this.sendFrame(PROTO_IPCP, packet);
  }

  ipcpUp(result: IpcpResult): void {
    this.networkUp = true;
    this.log.info(`network up: local ${result.localAddress}, peer ${result.peerAddress}, dns ${result.dns.join(' ') || 'none'}`);
    this.emit({ type: 'up', ...result });
  }

  ipcpDown(): void {
    this.networkDown('IPCP down');
  }

  ipcpFinished(reason: string, now: number): void {
    // No network protocol left: RFC 1661 lets the link close (pppd does the same).
    if (this.lcp.opened) this.lcp.automaton.close(now, `IPCP finished: ${reason}`);
  }

  lcpUp(now: number): void {
    const r = this.lcp.result();
    this.framing = { accm: r.txAccm, pfc: r.txPfc, acfc: r.txAcfc };
    this.decoder.rxAccm = r.rxAccm;
    this.log.info(`LCP up: peer MRU ${r.peerMru}, auth ${r.auth}${r.txPfc ? ', PFC' : ''}${r.txAcfc ? ', ACFC' : ''}`);
    if (r.auth !== 'none' && this.auth) {
      this.setPhase('Authenticate');
      this.auth.start(now);
    } else this.enterNetwork(now);
  }

  private enterNetwork(now: number): void {
    if (this.phase === 'Network') return; // a CHAP rechallenge succeeded again
    this.setPhase('Network');
    this.ipcp.automaton.open(now);
    this.ipcp.automaton.up(now);
  }

  lcpDown(now: number): void {
    this.framing = DEFAULT_FRAMING;
    this.decoder.rxAccm = 0xffffffff;
    this.auth?.stop();
    this.ipcp.automaton.down(now);
    const closing = this.lcp.automaton.state === 'Closing' || this.lcp.automaton.state === 'Stopping';
    this.setPhase(closing ? 'Terminate' : 'Establish');
  }

  lcpFinished(reason: string, now: number): void {
    if (this.phase === 'Dead') return;
    this.setPhase('Dead');
    this.auth?.stop();
    this.ipcp.automaton.close(now, reason);
    this.ipcp.automaton.down(now);
    this.lcp.automaton.down(now); // our lower layer is the modem call; the host hangs up on the final event
    this.networkUp = false;
    this.log.info(`link dead: ${reason}`);
    this.emit({ type: 'down', reason, final: true });
  }

  private handUp(packet: Uint8Array, now: number): void {
    this.handedUp += packet.length;
    this.ports.deliverIpv4(packet, now);
  }

  private networkDown(reason: string): void {
    if (!this.networkUp) return;
    this.networkUp = false;
    this.backlog.length = this.backlogBytes = 0;
    this.emit({ type: 'down', reason, final: false });
  }

  protocolRejected(protocol: number, now: number): void {
    if (protocol === PROTO_IPCP || protocol === PROTO_IPV4) this.ipcp.automaton.protocolRejected(true, now);
    else if (protocol === PROTO_PAP || protocol === PROTO_CHAP) this.lcp.automaton.close(now, 'peer rejected the authentication protocol');
  }

  private setPhase(phase: PppPhase): void {
    if (phase === this.phase) return;
    this.log.debug(`phase ${this.phase} -> ${phase}`);
    this.phase = phase;
  }

  private emit(event: PppEvent): void {
    this.pending.push(event);
  }

  private flushEvents(): void {
    if (this.emitting) return;
    this.emitting = true;
    try {
      while (this.pending.length > 0) this.ports.onEvent(this.pending.shift()!, this.now);
    } finally {
      this.emitting = false;
    }
  }
}
