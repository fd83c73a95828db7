/**
 * The cellular link: modem (AT, data call) → PPP → the outer IPv4 stack.
 * Keeps the link up by itself, and is the one owner of when to try again: a failed dial, a lost
 * call, a dead or stalled PPP link and a modem error all wait on one Backoff (src/util/backoff.ts)
 * — quick tries, then growing waits up to the cap, for ever — and each climbs the recovery ladder
 * one rung (src/modem/recovery-ladder.ts: redial, radio off/on, modem reset, power cycle). Every
 * rung has `linkRungTimeout` to bring the link up. A link that stayed up a while starts afresh.
 */
import { IpStack } from '../ip/stack.ts';
import { Modem, type ModemEvent, type ModemSettings, type ModemTuning } from '../modem/index.ts';
import { RecoveryLadder, type Rung } from '../modem/recovery-ladder.ts';
import type { PppSettings } from '../ppp/config.ts';
import { PppLink, type PppEvent, type PppTuning } from '../ppp/link.ts';
import type { Random } from '../platform.ts';
import { Backoff, type BackoffSettings } from '../util/backoff.ts';
import { Logger } from '../util/log.ts';
import { due, earliest } from '../util/time.ts';

export type LinkEvent =
  | { type: 'modem'; event: ModemEvent }
  | { type: 'link-up'; localAddress: string; peerAddress: string; dns: string[] }
  | { type: 'link-down'; reason: string }
  /** The next try, `inMs` from now: which rung of the recovery ladder, and why. */
  | { type: 'link-retry'; rung: Rung; reason: string; inMs: number; attempt: number }
  | { type: 'link-stopped' };

export interface CellularLinkPorts {
  writeSerial(bytes: Uint8Array, now: number): void;
  setDtr?(asserted: boolean): void;
  /** The modem's PWRKEY/RESET GPIOs, when wired (platform.modemPins). */
  setPin?(line: 'power' | 'reset', active: boolean): void;
  onEvent(event: LinkEvent, now: number): void;
}

export interface CellularLinkSettings {
  modem: ModemSettings;
  ppp: PppSettings;
  retry: BackoffSettings;
}

export interface CellularLinkTuning {
  modem?: Partial<ModemTuning>;
  ppp?: PppTuning;
}

/** A link up this long has proven itself: the next failure starts the backoff afresh. */
const STABLE_LINK_MS = 60_000;

export class CellularLink {
  readonly ip: IpStack;
  private readonly modem: Modem;
  private ppp: PppLink | undefined;
  private linkUpAt: number | undefined;
  private readonly backoff: Backoff;
  private retryAt: number | undefined;
  private retryRung: Rung = 'redial';
  private readonly ladder: RecoveryLadder;
  /** When the running rung must have brought the link up. */
  private rungDeadline: number | undefined;
  /** Why the link went down, for the rung that follows the modem's hang-up. */
  private downReason: string | undefined;
  /** The first IP packet sent since the last one received (NAT keepalives aside): the stall clock. */
  private unansweredSince: number | undefined;
  private stopping = false;

  constructor(
    private readonly settings: CellularLinkSettings,
    private readonly deps: { random: Random; log: Logger },
    private readonly ports: CellularLinkPorts,
    private readonly tuning: CellularLinkTuning = {},
  ) {
    this.backoff = new Backoff(settings.retry, deps.random);
    const power = settings.modem.power;
    this.ladder = new RecoveryLadder(ports.setPin !== undefined && (power.powerPin !== undefined || power.resetPin !== undefined));
    this.ip = new IpStack({ log: deps.log.child('ip'), random: deps.random }, {
      transmit: (p, now) => {
        if (!this.ppp) return false;
        if (this.unansweredSince === undefined && !isNatKeepalive(p)) this.unansweredSince = now;
        this.ppp.sendIpv4(p, now);
        return true;
      },
    });
    this.modem = new Modem(settings.modem, { log: deps.log.child('modem') }, {
      writeSerial: (b, now) => ports.writeSerial(b, now),
      setDtr: ports.setDtr ? (on) => ports.setDtr!(on) : undefined,
      setPin: ports.setPin ? (line, on) => ports.setPin!(line, on) : undefined,
      onData: (b, now) => this.ppp?.input(b, now),
      onEvent: (ev, now) => this.modemEvent(ev, now),
    }, tuning.modem);
  }

  get up(): boolean {
    return this.linkUpAt !== undefined;
  }

  /** The link's MTU: what the PPP peer takes (1500 until LCP says otherwise). */
  get mtu(): number {
    return this.ppp?.peerMru ?? 1500;
  }

  pppCounters() {
    return this.ppp?.snapshot();
  }

  /** How often each rung of the recovery ladder ran. */
  recoveryCounts(): Record<Rung, number> {
    return this.ladder.counts();
  }

  start(now: number): void {
    this.stopping = false;
    this.rungDeadline = now + this.settings.modem.rungTimeoutMs;
    this.modem.start(now);
  }

  receiveSerial(bytes: Uint8Array, now: number): void {
    this.modem.input(bytes, now);
  }

  /** Graceful end: LCP terminate, then the modem hangs up; 'link-stopped' follows. */
  stop(now: number): void {
    this.stopping = true;
    this.retryAt = undefined;
    this.rungDeadline = undefined;
    if (this.ppp && this.ppp.currentPhase !== 'Dead') this.ppp.close(now, 'agent stopping');
    else this.modem.hangUp(now);
  }

  deadline(): number | undefined {
    return earliest(this.modem.deadline(), this.ppp?.deadline(), this.ip.deadline(), this.retryAt, this.rungDeadline, this.stallAt());
  }

  /** The last onTimer handed up packets that had waited (see PppLink): other work can wait a turn. */
  get busyWithInput(): boolean {
    return this.ppp?.handedUpWaiting ?? false;
  }

  onTimer(now: number): void {
    this.modem.onTimer(now);
    this.ppp?.onTimer(now);
    this.ip.onTimer(now);
    if (due(this.stallAt(), now)) this.stalled(now);
    if (due(this.rungDeadline, now)) {
      const why = `link not up within ${this.settings.modem.rungTimeoutMs / 1000} s`;
      this.modem.abandon();
      this.ppp = undefined;
      this.linkLost(why, now);
      this.recover(why, now);
    }
    if (due(this.retryAt, now)) {
      this.retryAt = undefined;
      this.rungDeadline = now + this.settings.modem.rungTimeoutMs;
      this.runRung(this.retryRung, now);
    }
  }

  private runRung(rung: Rung, now: number): void {
    if (rung === 'redial') this.modem.dial(now);
    else if (rung === 'radio') this.modem.radioCycle(now);
    else if (rung === 'reset') this.modem.resetModem(now);
    else this.modem.powerCycle(now);
  }

  private stallAt(): number | undefined {
    const ms = this.settings.modem.dataStallMs;
    return ms > 0 && this.linkUpAt !== undefined && this.unansweredSince !== undefined ? this.unansweredSince + ms : undefined;
  }

  /** IP went out for dataStallTimeout and nothing came back, LCP echo or not: end the call. */
  private stalled(now: number): void {
    const why = `data path stalled: nothing received for ${this.settings.modem.dataStallMs / 1000} s while sending`;
    this.deps.log.warn(why);
    this.unansweredSince = undefined;
    this.linkLost(why, now);
    this.downReason = why;
    if (this.ppp && this.ppp.currentPhase !== 'Dead') this.ppp.close(now, 'data path stalled');
    else this.modem.hangUp(now);
  }

  private modemEvent(ev: ModemEvent, now: number): void {
    this.ports.onEvent({ type: 'modem', event: ev }, now);
    switch (ev.type) {
      case 'online':
        // A fresh PPP instance per call: nothing of the last call's negotiation carries over.
        this.ppp = new PppLink(this.settings.ppp, { random: this.deps.random, log: this.deps.log.child('ppp') }, {
          writeSerial: (b, t) => this.modem.writeData(b, t),
          deliverIpv4: (p, t) => {
            this.unansweredSince = undefined;
            this.ip.input(p, t);
          },
          onEvent: (pev, t) => this.pppEvent(pev, t),
        }, this.tuning.ppp);
        this.ppp.open(now);
        break;
      case 'lost':
        this.linkLost(`carrier lost: ${ev.reason}`, now);
        this.ppp = undefined;
        this.recover(`carrier lost: ${ev.reason}`, now);
        break;
      case 'dial-failed':
        this.recover(`dial failed: ${ev.reason}`, now);
        break;
      case 'offline':
        this.ppp = undefined;
        if (this.stopping) this.ports.onEvent({ type: 'link-stopped' }, now);
        else this.recover(this.downReason ?? 'the modem hung up', now);
        break;
      case 'error':
        this.linkLost(`modem error: ${ev.cause}`, now);
        this.ppp = undefined;
        // A modem that does not answer AT is not healed by a redial or a radio cycle.
        this.recover(`modem error: ${ev.cause}`, now, ev.silent ? 'reset' : 'redial');
        break;
      default:
        break;
    }
  }

  private pppEvent(ev: PppEvent, now: number): void {
    if (ev.type === 'up') {
      this.ip.setLocalAddress(ev.localAddress);
      this.linkUpAt = now;
      this.rungDeadline = undefined;
      this.unansweredSince = undefined;
      this.downReason = undefined;
      this.ports.onEvent({ type: 'link-up', localAddress: ev.localAddress, peerAddress: ev.peerAddress, dns: ev.dns }, now);
      return;
    }
    this.linkLost(`PPP down: ${ev.reason}`, now);
    this.downReason ??= `PPP down: ${ev.reason}`;
    if (ev.final) this.modem.hangUp(now);
  }

  private linkLost(reason: string, now: number): void {
    if (this.linkUpAt !== undefined && now - this.linkUpAt >= STABLE_LINK_MS) {
      this.backoff.reset();
      this.ladder.settle();
    }
    const wasUp = this.linkUpAt !== undefined;
    this.linkUpAt = undefined;
    this.ip.setLocalAddress(undefined);
    if (wasUp || !this.stopping) this.ports.onEvent({ type: 'link-down', reason }, now);
  }

  /** A failure: the next rung of the ladder after the backoff's wait; one event and one log line. */
  private recover(reason: string, now: number, atLeast: Rung = 'redial'): void {
    this.downReason = undefined;
    this.rungDeadline = undefined;
    if (this.stopping) return;
    const inMs = this.backoff.fail();
    const rung = this.ladder.climb(atLeast);
    this.retryRung = rung;
    this.retryAt = now + inMs;
    this.deps.log.info(`recovery: ${rung} in ${Math.round(inMs / 1000)} s (${reason})`);
    this.ports.onEvent({ type: 'link-retry', rung, reason, inMs, attempt: this.backoff.count }, now);
  }
}

/** A NAT-T keepalive (RFC 3948 2.3: one 0xFF byte to UDP 4500) expects no answer: it does not start the stall clock. */
function isNatKeepalive(p: Uint8Array): boolean {
  const ihl = ((p[0] ?? 0) & 0x0f) * 4;
  return p[9] === 17 && p.length === ihl + 9 && ((p[ihl + 2]! << 8) | p[ihl + 3]!) === 4500 && p[ihl + 8] === 0xff;
}
