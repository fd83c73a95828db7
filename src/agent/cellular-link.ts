/**
 * The cellular link: modem (AT, data call) → PPP → the outer IPv4 stack.
 * Keeps the link up by itself, and is the one owner of when to try again: a failed dial, a lost
 * call, a dead PPP link and a modem error all wait on one Backoff (src/util/backoff.ts) — quick
 * tries, then growing waits up to the cap, for ever. A link that stayed up a while starts afresh.
 */
import { IpStack } from '../ip/stack.ts';
import { Modem, type ModemEvent, type ModemSettings, type ModemTuning } from '../modem/index.ts';
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
  /** The next try, `inMs` from now. */
  | { type: 'link-retry'; action: 'dial' | 'restart'; inMs: number; attempt: number }
  | { type: 'link-stopped' };

export interface CellularLinkPorts {
  writeSerial(bytes: Uint8Array, now: number): void;
  setDtr?(asserted: boolean): void;
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
  private retryAction: 'dial' | 'restart' = 'dial';
  private stopping = false;

  constructor(
    private readonly settings: CellularLinkSettings,
    private readonly deps: { random: Random; log: Logger },
    private readonly ports: CellularLinkPorts,
    private readonly tuning: CellularLinkTuning = {},
  ) {
    this.backoff = new Backoff(settings.retry, deps.random);
    this.ip = new IpStack({ log: deps.log.child('ip'), random: deps.random }, {
      transmit: (p, now) => {
        if (!this.ppp) return false;
        this.ppp.sendIpv4(p, now);
        return true;
      },
    });
    this.modem = new Modem(settings.modem, { log: deps.log.child('modem') }, {
      writeSerial: (b, now) => ports.writeSerial(b, now),
      setDtr: ports.setDtr ? (on) => ports.setDtr!(on) : undefined,
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

  start(now: number): void {
    this.stopping = false;
    this.modem.start(now);
  }

  receiveSerial(bytes: Uint8Array, now: number): void {
    this.modem.input(bytes, now);
  }

  /** Graceful end: LCP terminate, then the modem hangs up; 'link-stopped' follows. */
  stop(now: number): void {
    this.stopping = true;
    this.retryAt = undefined;
    if (this.ppp && this.ppp.currentPhase !== 'Dead') this.ppp.close(now, 'agent stopping');
    else this.modem.hangUp(now);
  }

  deadline(): number | undefined {
    return earliest(this.modem.deadline(), this.ppp?.deadline(), this.ip.deadline(), this.retryAt);
  }

  /** The last onTimer handed up packets that had waited (see PppLink): other work can wait a turn. */
  get busyWithInput(): boolean {
    return this.ppp?.handedUpWaiting ?? false;
  }

  onTimer(now: number): void {
    this.modem.onTimer(now);
    this.ppp?.onTimer(now);
    this.ip.onTimer(now);
    if (due(this.retryAt, now)) {
      this.retryAt = undefined;
      if (this.retryAction === 'dial') this.modem.dial(now);
      else this.modem.start(now);
    }
  }

  private modemEvent(ev: ModemEvent, now: number): void {
    this.ports.onEvent({ type: 'modem', event: ev }, now);
    switch (ev.type) {
      case 'online':
        // A fresh PPP instance per call: nothing of the last call's negotiation carries over.
        this.ppp = new PppLink(this.settings.ppp, { random: this.deps.random, log: this.deps.log.child('ppp') }, {
          writeSerial: (b, t) => this.modem.writeData(b, t),
          deliverIpv4: (p, t) => this.ip.input(p, t),
          onEvent: (pev, t) => this.pppEvent(pev, t),
        }, this.tuning.ppp);
        this.ppp.open(now);
        break;
      case 'lost':
        this.linkLost(`carrier lost: ${ev.reason}`, now);
        this.ppp = undefined;
        this.tryAgain('dial', now);
        break;
      case 'dial-failed':
        this.tryAgain('dial', now);
        break;
      case 'offline':
        this.ppp = undefined;
        if (this.stopping) this.ports.onEvent({ type: 'link-stopped' }, now);
        else this.tryAgain('dial', now);
        break;
      case 'error':
        this.linkLost(`modem error: ${ev.cause}`, now);
        this.ppp = undefined;
        this.tryAgain('restart', now);
        break;
      default:
        break;
    }
  }

  private pppEvent(ev: PppEvent, now: number): void {
    if (ev.type === 'up') {
      this.ip.setLocalAddress(ev.localAddress);
      this.linkUpAt = now;
      this.ports.onEvent({ type: 'link-up', localAddress: ev.localAddress, peerAddress: ev.peerAddress, dns: ev.dns }, now);
      return;
    }
    this.linkLost(`PPP down: ${ev.reason}`, now);
    if (ev.final) this.modem.hangUp(now);
  }

  private linkLost(reason: string, now: number): void {
    if (this.linkUpAt !== undefined && now - this.linkUpAt >= STABLE_LINK_MS) this.backoff.reset();
    const wasUp = this.linkUpAt !== undefined;
    this.linkUpAt = undefined;
    this.ip.setLocalAddress(undefined);
    if (wasUp || !this.stopping) this.ports.onEvent({ type: 'link-down', reason }, now);
  }

  private tryAgain(action: 'dial' | 'restart', now: number): void {
    if (this.stopping) return;
    const inMs = this.backoff.fail();
    this.retryAction = action;
    this.retryAt = now + inMs;
    this.deps.log.info(`${action === 'dial' ? 'dialling' : 'setting the modem up'} again in ${Math.round(inMs / 1000)} s`);
    this.ports.onEvent({ type: 'link-retry', action, inMs, attempt: this.backoff.count }, now);
  }
}
