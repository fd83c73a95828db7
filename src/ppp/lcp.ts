/**
 * LCP (RFC 1661): link options (MRU, ACCM, authentication, magic number, PFC, ACFC) on top
 * of the shared automaton, plus the LCP-only packets: Protocol-Reject, Echo, Discard.
 */
import { earliest } from '../util/time.ts';
import type { Random } from '../platform.ts';
import type { DropCounter, Logger } from '../util/log.ts';
import { readU16, readU32, writeU16, writeU32 } from '../util/bytes.ts';
import { Automaton, type AutomatonPorts, type AutomatonTiming, type OptionsHandler, type Verdict } from './automaton.ts';
import { type ConfigOption, option, u16Option, u32Option } from './options.ts';
import { CODE, PROTO_CHAP, PROTO_PAP, protocolName } from './protocols.ts';

const OPT = Object.freeze({ mru: 1, accm: 2, auth: 3, magic: 5, pfc: 7, acfc: 8 } as const);
const CHAP_MD5 = 5;
const DEFAULT_MRU = 1500;
/**
 * The smallest MRU we accept from the peer (else Nak with this), and ask for ourselves: what the
 * tunnel needs to carry an inner packet of 68 bytes (the IPv4 minimum) in its costliest ESP suite,
 * AES-CBC + HMAC-SHA2-512-256 in UDP 4500 (src/net/path.ts): IPv4 20 + UDP 8 + ESP 8 + IV 16 +
 * (68 + 2 trailer, padded to the 16-byte block) 80 + ICV 32 = 164. Below it the inner MTU would
 * fall under 68 and the tunnel could not come up.
 */
export const MIN_PEER_MRU = 164;
/** Consecutive Configure-Requests carrying our own magic number before we call the line looped back. */
const MAX_LOOPS = 5;

export type AuthProtocol = 'none' | 'pap' | 'chap';

export interface LcpSettings {
  mru: number;
  /** Which authentication we agree to perform when the peer asks for it. */
  auth: AuthProtocol;
  echoIntervalMs: number; // 0 = no echo supervision
  echoFailures: number;
}

/** What the peer asked for (governs what we send) and what it granted us (governs what we receive). */
export interface LcpResult {
  peerMru: number;
  txAccm: number;
  txPfc: boolean;
  txAcfc: boolean;
  auth: AuthProtocol;
  rxAccm: number;
  localMagic: number;
  peerMagic: number;
}

/** What LCP tells the link (named apart from IPCP's, so one object, the link, serves both). */
export interface LcpPorts {
  sendLcp(packet: Uint8Array): void;
  lcpUp(now: number): void;
  lcpDown(now: number): void;
  lcpFinished(reason: string, now: number): void;
  /** The peer rejected one of our protocols. */
  protocolRejected(protocol: number, now: number): void;
}

interface Wanted {
  mru?: number;
  accm?: number;
  magic?: number;
  pfc: boolean;
  acfc: boolean;
}

class LcpOptions implements OptionsHandler {
  want: Wanted = { pfc: true, acfc: true };
  granted: Wanted = { pfc: false, acfc: false };
  peer = defaultPeer();
  loops = 0;

  constructor(
    private readonly settings: LcpSettings,
    private readonly random: Random,
    private readonly lcp: Lcp,
  ) {}

  reset(): void {
    this.want = {
      mru: this.settings.mru !== DEFAULT_MRU ? this.settings.mru : undefined,
      accm: 0, // an 8-bit clean modem line: ask the peer not to escape control characters
      magic: this.newMagic(),
      pfc: true,
      acfc: true,
    };
    this.loops = 0;
  }

  request(): ConfigOption[] {
    const w = this.want;
    const out: ConfigOption[] = [];
    if (w.mru !== undefined) out.push(u16Option(OPT.mru, w.mru));
    if (w.accm !== undefined) out.push(u32Option(OPT.accm, w.accm));
    if (w.magic !== undefined) out.push(u32Option(OPT.magic, w.magic));
    if (w.pfc) out.push(option(OPT.pfc));
    if (w.acfc) out.push(option(OPT.acfc));
    return out;
  }

  judge(o: ConfigOption): Verdict {
    const d = o.data;
    switch (o.type) {
      case OPT.mru:
        if (d.length !== 2) return { kind: 'reject' };
        return readU16(d, 0) >= MIN_PEER_MRU ? { kind: 'ack' } : { kind: 'nak', data: u16Option(0, MIN_PEER_MRU).data };
      case OPT.accm:
        return d.length === 4 ? { kind: 'ack' } : { kind: 'reject' };
      case OPT.auth:
        return this.judgeAuth(d);
      case OPT.magic: {
        if (d.length !== 4) return { kind: 'reject' };
        const magic = readU32(d, 0);
        if (magic === 0) return { kind: 'nak', data: u32Option(0, this.newMagic()).data };
        if (magic === this.want.magic) {
          // Our own magic came back: either a looped line or a coincidence; both sides pick anew.
          this.loops++;
          if (this.loops >= MAX_LOOPS) this.lcp.loopedBack = true;
          this.want.magic = this.newMagic();
          return { kind: 'nak', data: u32Option(0, this.newMagic()).data };
        }
        return { kind: 'ack' };
      }
      case OPT.pfc:
      case OPT.acfc:
        return d.length === 0 ? { kind: 'ack' } : { kind: 'reject' };
      default:
        return { kind: 'reject' };
    }
  }

  private judgeAuth(d: Uint8Array): Verdict {
    const allowed = this.settings.auth;
    if (allowed === 'none') return { kind: 'reject' }; // no credentials configured: we can't authenticate
    const protocol = d.length >= 2 ? readU16(d, 0) : 0;
    if (allowed === 'pap' && protocol === PROTO_PAP && d.length === 2) return { kind: 'ack' };
    if (allowed === 'chap' && protocol === PROTO_CHAP && d.length === 3 && d[2] === CHAP_MD5) return { kind: 'ack' };
    return { kind: 'nak', data: allowed === 'pap' ? Uint8Array.of(PROTO_PAP >>> 8, PROTO_PAP & 0xff) : Uint8Array.of(PROTO_CHAP >>> 8, PROTO_CHAP & 0xff, CHAP_MD5) };
  }

  peerAcked(options: ConfigOption[]): void {
    const p = defaultPeer();
    for (const o of options) {
      const d = o.data;
      if (o.type === OPT.mru) p.mru = readU16(d, 0);
      else if (o.type === OPT.accm) p.accm = readU32(d, 0);
      else if (o.type === OPT.auth) p.auth = readU16(d, 0) === PROTO_PAP ? 'pap' : 'chap';
      else if (o.type === OPT.magic) p.magic = readU32(d, 0);
      else if (o.type === OPT.pfc) p.pfc = true;
      else if (o.type === OPT.acfc) p.acfc = true;
    }
    this.peer = p;
  }

  acked(options: ConfigOption[]): void {
    const g: Wanted = { pfc: false, acfc: false };
    for (const o of options) {
      if (o.type === OPT.mru) g.mru = readU16(o.data, 0);
      else if (o.type === OPT.accm) g.accm = readU32(o.data, 0);
      else if (o.type === OPT.magic) g.magic = readU32(o.data, 0);
      else if (o.type === OPT.pfc) g.pfc = true;
      else if (o.type === OPT.acfc) g.acfc = true;
    }
    this.granted = g;
  }

  naked(options: ConfigOption[]): void {
    for (const o of options) {
      const d = o.data;
      if (o.type === OPT.mru && d.length === 2) {
        const mru = readU16(d, 0);
        this.want.mru = mru >= MIN_PEER_MRU && mru <= Math.max(this.settings.mru, DEFAULT_MRU) ? mru : undefined;
      } else if (o.type === OPT.accm && d.length === 4) this.want.accm = ((this.want.accm ?? 0) | readU32(d, 0)) >>> 0;
      else if (o.type === OPT.magic) this.want.magic = this.newMagic();
      else if (o.type === OPT.pfc) this.want.pfc = false;
      else if (o.type === OPT.acfc) this.want.acfc = false;
      // Anything else is a hint for an option we don't want: ignore it.
    }
  }

  rejected(options: ConfigOption[]): void {
    for (const o of options) {
      if (o.type === OPT.mru) this.want.mru = undefined;
      else if (o.type === OPT.accm) this.want.accm = undefined;
      else if (o.type === OPT.magic) this.want.magic = undefined;
      else if (o.type === OPT.pfc) this.want.pfc = false;
      else if (o.type === OPT.acfc) this.want.acfc = false;
    }
  }

  otherCode(code: number, id: number, data: Uint8Array, now: number): boolean {
    return this.lcp.otherCode(code, id, data, now);
  }

  codeRejected(code: number): void {
    if (code === CODE.echoRequest) this.lcp.echoRejected();
  }

  echoReply(id: number, data: Uint8Array): void {
    this.lcp.answerEcho(id, data);
  }

  private newMagic(): number {
    for (;;) {
      const m = readU32(this.random.bytes(4), 0);
      if (m !== 0) return m;
    }
  }
}

function defaultPeer() {
  return { mru: DEFAULT_MRU, accm: 0xffffffff, auth: 'none' as AuthProtocol, magic: 0, pfc: false, acfc: false };
}

export class Lcp implements AutomatonPorts {
  readonly automaton: Automaton;
  /** Set by option judging; acted on once the packet is processed (never close from inside the automaton). */
  loopedBack = false;
  private readonly options: LcpOptions;
  private echoAt: number | undefined;
  private echoesUnanswered = 0;
  private echoEnabled: boolean;
  private lastHeardAt = 0;
  private readonly log: Logger;
  private readonly drops: DropCounter;

  constructor(
    private readonly settings: LcpSettings,
    deps: { random: Random; log: Logger; drops: DropCounter },
    private readonly ports: LcpPorts,
    timing: AutomatonTiming,
  ) {
    this.log = deps.log;
    this.drops = deps.drops;
    this.echoEnabled = settings.echoIntervalMs > 0;
    this.options = new LcpOptions(settings, deps.random, this);
    this.automaton = new Automaton('LCP', this.options, this, timing, deps.log, deps.drops);
  }

  // ---- the automaton's ports (methods, not closures: RAM on XS) ----

  send(packet: Uint8Array): void {
    this.ports.sendLcp(packet);
  }

  thisLayerUp(now: number): void {
    this.echoesUnanswered = 0;
    this.lastHeardAt = now;
    this.echoAt = this.echoEnabled ? now + this.settings.echoIntervalMs : undefined;
    this.ports.lcpUp(now);
  }

  thisLayerDown(now: number): void {
    this.echoAt = undefined;
    this.ports.lcpDown(now);
  }

  thisLayerStarted(): void {}

  thisLayerFinished(reason: string, now: number): void {
    this.ports.lcpFinished(reason, now);
  }

  get opened(): boolean {
    return this.automaton.state === 'Opened';
  }

  result(): LcpResult {
    const p = this.options.peer;
    const g = this.options.granted;
    return {
      peerMru: p.mru, txAccm: p.accm, txPfc: p.pfc, txAcfc: p.acfc, auth: p.auth, peerMagic: p.magic,
      rxAccm: g.accm ?? 0xffffffff, localMagic: g.magic ?? 0,
    };
  }

  input(packet: Uint8Array, now: number): void {
    this.automaton.input(packet, now);
    if (this.loopedBack) {
      this.loopedBack = false;
      this.log.warn('serial line looped back (our magic number keeps coming back)');
      this.automaton.close(now, 'serial line looped back');
    }
  }

  /** Any intact frame proves the peer alive: echoes are only needed on a silent link. */
  heard(now: number): void {
    this.lastHeardAt = now;
    this.echoesUnanswered = 0;
  }

  /** Rejects a protocol we don't speak (only while Opened, RFC 1661 section 5.7). */
  rejectProtocol(protocol: number, info: Uint8Array): void {
    if (!this.opened) return;
    const room = Math.max(0, this.options.peer.mru - 6);
    const data = new Uint8Array(2 + Math.min(info.length, room));
    writeU16(data, 0, protocol);
    data.set(info.subarray(0, data.length - 2), 2);
    this.automaton.sendPacket(CODE.protocolReject, data);
  }

  deadline(): number | undefined {
    return earliest(this.automaton.deadline(), this.echoAt);
  }

  onTimer(now: number): void {
    this.automaton.onTimer(now);
    if (this.echoAt === undefined || now < this.echoAt || !this.opened) return;
    this.echoAt = now + this.settings.echoIntervalMs;
    if (now - this.lastHeardAt < this.settings.echoIntervalMs) return; // traffic flowed: no echo needed
    if (this.echoesUnanswered >= this.settings.echoFailures) {
      this.log.warn(`no answer to ${this.echoesUnanswered} LCP echo requests`);
      this.echoAt = undefined;
      this.automaton.close(now, 'peer not responding');
      return;
    }
    this.echoesUnanswered++;
    this.automaton.sendPacket(CODE.echoRequest, this.magicBytes());
  }

  /** Codes 8..11 (LCP only). */
  otherCode(code: number, id: number, data: Uint8Array, now: number): boolean {
    switch (code) {
      case CODE.protocolReject:
        if (!this.opened) return true;
        if (data.length < 2) this.drops.drop('LCP Protocol-Reject too short');
        else {
          const protocol = readU16(data, 0);
          this.log.warn(`peer rejected protocol ${protocolName(protocol)}`);
          this.ports.protocolRejected(protocol, now);
        }
        return true;
      case CODE.echoRequest:
        this.automaton.echoRequest(id, data, now);
        return true;
      case CODE.echoReply:
        if (this.isOwnMagic(data)) this.drops.drop('LCP echo reply with our own magic (looped line?)');
        return true; // liveness already noted by heard()
      case CODE.discardRequest:
        return true;
      default:
        return false;
    }
  }

  answerEcho(id: number, data: Uint8Array): void {
    if (this.isOwnMagic(data)) return this.drops.drop('LCP echo request with our own magic (looped line?)');
    const reply = new Uint8Array(Math.max(4, data.length));
    reply.set(data);
    reply.set(this.magicBytes(), 0);
    this.automaton.sendPacket(CODE.echoReply, reply, id);
  }

  echoRejected(): void {
    this.echoEnabled = false;
    this.echoAt = undefined;
  }

  private isOwnMagic(data: Uint8Array): boolean {
    const mine = this.options.granted.magic ?? 0;
    return mine !== 0 && data.length >= 4 && readU32(data, 0) === mine;
  }

  private magicBytes(): Uint8Array {
    const b = new Uint8Array(4);
    writeU32(b, 0, this.options.granted.magic ?? 0);
    return b;
  }
}
