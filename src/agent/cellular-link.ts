/**
 * The cellular link: modem (AT, data call) → PPP → the outer IPv4 stack.
 * Keeps the link up by itself: a dead PPP link is hung up and redialled with a bounded
 * backoff, a lost carrier is redialled by the modem driver, a modem error is retried later.
 */
import type { AgentConfig } from '../config.ts';
import { IpStack } from '../ip/stack.ts';
import { Modem, type ModemEvent } from '../modem/index.ts';
import { PppLink, type PppEvent } from '../ppp/link.ts';
import type { Random } from '../platform.ts';
import { Logger } from '../util/log.ts';
import { earliest } from '../util/time.ts';

export type LinkEvent =
  | { type: 'modem'; event: ModemEvent }
  | { type: 'link-up'; localAddress: string; peerAddress: string; dns: string[] }
  | { type: 'link-down'; reason: string }
  | { type: 'link-stopped' };

export interface CellularLinkPorts {
  writeSerial(bytes: Uint8Array): void;
  setDtr?(asserted: boolean): void;
  onEvent(event: LinkEvent, now: number): void;
}

const REDIAL_FIRST_MS = 2_000;
const REDIAL_MAX_MS = 60_000;
const MODEM_ERROR_RETRY_MS = 30_000;
const STABLE_LINK_MS = 60_000;

export class CellularLink {
  readonly ip: IpStack;
  private readonly modem: Modem;
  private ppp: PppLink | undefined;
  private linkUpAt: number | undefined;
  private redialAt: number | undefined;
  /** After a modem error the whole bring-up (probe, PIN, registration) runs again at this time. */
  private restartAt: number | undefined;
  private redialDelay = REDIAL_FIRST_MS;
  private stopping = false;
  private now = 0;

  constructor(
    private readonly config: AgentConfig,
    private readonly deps: { random: Random; log: Logger },
    private readonly ports: CellularLinkPorts,
  ) {
    this.ip = new IpStack({ log: deps.log.child('ip'), random: deps.random }, { transmit: (p) => this.ppp?.sendIpv4(p, this.now) });
    this.modem = new Modem(config, { log: deps.log.child('modem') }, {
      writeSerial: (b) => ports.writeSerial(b),
      setDtr: ports.setDtr ? (on) => ports.setDtr!(on) : undefined,
      onData: (b, now) => this.ppp?.input(b, now),
      onEvent: (ev, now) => this.modemEvent(ev, now),
    });
  }

  get up(): boolean {
    return this.linkUpAt !== undefined;
  }

  pppCounters() {
    return this.ppp?.snapshot();
  }

  start(now: number): void {
    this.now = now;
    this.stopping = false;
    this.modem.start(now);
  }

  receiveSerial(bytes: Uint8Array, now: number): void {
    this.now = now;
    this.modem.input(bytes, now);
  }

  /** Graceful end: LCP terminate, then the modem hangs up; 'link-stopped' follows. */
  stop(now: number): void {
    this.now = now;
    this.stopping = true;
    this.redialAt = undefined;
    this.restartAt = undefined;
    if (this.ppp && this.ppp.currentPhase !== 'Dead') this.ppp.close(now, 'agent stopping');
    else this.modem.hangUp(now);
  }

  deadline(): number | undefined {
    return earliest(this.modem.deadline(), this.ppp?.deadline(), this.ip.deadline(), this.redialAt, this.restartAt);
  }

  onTimer(now: number): void {
    this.now = now;
    this.modem.onTimer(now);
    this.ppp?.onTimer(now);
    this.ip.onTimer(now);
    if (this.redialAt !== undefined && now >= this.redialAt) {
      this.redialAt = undefined;
      this.modem.dial(now);
    }
    if (this.restartAt !== undefined && now >= this.restartAt) {
      this.restartAt = undefined;
      this.modem.start(now);
    }
  }

  private modemEvent(ev: ModemEvent, now: number): void {
    this.ports.onEvent({ type: 'modem', event: ev }, now);
    switch (ev.type) {
      case 'online':
        // A fresh PPP instance per call: nothing of the last call's negotiation carries over.
        this.ppp = new PppLink(this.config, { random: this.deps.random, log: this.deps.log.child('ppp') }, {
          writeSerial: (b) => this.modem.writeData(b, this.now),
          deliverIpv4: (p) => this.ip.input(p, this.now),
          onEvent: (pev) => this.pppEvent(pev, this.now),
        });
        this.ppp.open(now);
        break;
      case 'lost':
        this.linkLost(`carrier lost: ${ev.reason}`, now);
        this.ppp = undefined;
        break;
      case 'offline':
        this.ppp = undefined;
        if (this.stopping) this.ports.onEvent({ type: 'link-stopped' }, now);
        else this.scheduleRedial(now);
        break;
      case 'error':
        this.linkLost(`modem error: ${ev.cause}`, now);
        this.ppp = undefined;
        if (!this.stopping) this.restartAt = now + MODEM_ERROR_RETRY_MS;
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
    if (this.linkUpAt !== undefined && now - this.linkUpAt >= STABLE_LINK_MS) this.redialDelay = REDIAL_FIRST_MS;
    const wasUp = this.linkUpAt !== undefined;
    this.linkUpAt = undefined;
    this.ip.setLocalAddress(undefined);
    if (wasUp || !this.stopping) this.ports.onEvent({ type: 'link-down', reason }, now);
  }

  private scheduleRedial(now: number): void {
    this.redialAt = now + this.redialDelay;
    this.redialDelay = Math.min(this.redialDelay * 2, REDIAL_MAX_MS);
  }

}
