/**
 * The device agent: everything from the serial bytes up to the app, sans-IO.
 * serial → modem/PPP → outer IPv4/UDP → IKE/ESP → inner IPv4/UDP → app.
 * Hosts feed it (bytes or a timer tick, now) through the Runner; it writes serial bytes
 * and reports events through its ports.
 */
import type { Settings } from '../config/validate.ts';
import type { IkeTuning } from '../ike/index.ts';
import type { KeyLog, LogSink, Random } from '../platform.ts';
import { Logger } from '../util/log.ts';
import { printable } from '../util/text.ts';
import { CellularLink, type CellularLinkTuning, type LinkEvent } from './cellular-link.ts';
import { Tunnel, type TunnelEvent } from './tunnel.ts';
import { Probe, type ProbeEvent } from '../app/probe.ts';
import { Network, type NetEvent } from '../net/network.ts';
import { socketsFor } from '../net/sockets/index.ts';
import { earliest } from '../util/time.ts';
import type { DrivenAgent } from './runner.ts';

export type AgentEvent = LinkEvent | TunnelEvent | NetEvent | ProbeEvent;

export interface AgentDeps {
  settings: Settings;
  random: Random;
  log: LogSink;
  keyLog?: KeyLog;
  /** Timing that is not device configuration (unit tests shorten it). */
  tuning?: { link?: CellularLinkTuning; ike?: IkeTuning };
}

export interface AgentPorts {
  writeSerial(bytes: Uint8Array, now: number): void;
  /** Bytes the serial line has queued but not sent (0 when the host cannot tell). */
  serialQueued?(): number;
  setDtr?(asserted: boolean): void;
  /** The modem's PWRKEY/RESET GPIOs (platform.modemPins), for the recovery ladder's power rung. */
  setPin?(line: 'power' | 'reset', active: boolean): void;
  onEvent?(event: AgentEvent, now: number): void;
}


export class Agent implements DrivenAgent {
  readonly link: CellularLink;
  readonly tunnel: Tunnel;
  /** The app's network over the tunnel: TCP, UDP, DNS (socketsFor(network) gives the ECMA-419 classes). */
  readonly network: Network;
  readonly probe: Probe;
  private act: ((work: (now: number) => void) => void) | undefined;
  private readonly log: Logger;
  private readonly listeners: Array<(event: AgentEvent, now: number) => void> = [];
  /** The last timer turn handed up waiting input: this one serves the timers first (onTimer). */
  private timersFirst = false;

  constructor(deps: AgentDeps, ports: AgentPorts) {
    const { settings } = deps;
    this.log = new Logger(deps.log, 'agent', settings.logLevel);
    if (ports.onEvent) this.listeners.push(ports.onEvent);
    this.link = new CellularLink(settings, { random: deps.random, log: this.log }, {
      writeSerial: (b, now) => ports.writeSerial(b, now),
      setDtr: ports.setDtr,
      setPin: ports.setPin,
      onEvent: (ev, now) => this.linkEvent(ev, now),
    }, deps.tuning?.link);
    this.tunnel = new Tunnel(
      settings.ike,
      settings.retry,
      this.link.ip,
      { random: deps.random, log: this.log, keyLog: deps.keyLog },
      { onEvent: (ev, now) => this.tunnelEvent(ev, now), linkMtu: () => this.link.mtu },
      deps.tuning?.ike,
    );
    this.network = new Network(
      { ip: this.tunnel.ip, dns: this.tunnel.dns, random: deps.random, log: this.log.child('net'), settings: settings.net },
      { enter: (work) => this.enter(work), serialQueued: () => ports.serialQueued?.() ?? 0, report: (ev, now) => this.emit(ev, now) },
    );
    this.probe = new Probe(settings.probe, socketsFor(this.network), (ev, now) => this.emit(ev, now));
  }

  attach(act: (work: (now: number) => void) => void): void {
    this.act = act;
  }

  /** App work outside the agent's turns (a socket call from the app's timer) becomes a turn. */
  private enter(work: (now: number) => void): void {
    if (!this.act) throw new Error('socket call before the agent runs (no Runner attached)');
    this.act(work);
  }

  serialWritable(now: number): void {
    this.network.serialWritable(now);
  }

  /** The network learns the tunnel's address, ESP suite and selectors whenever a CHILD SA is installed. */
  private tunnelInstalled(now: number): void {
    const child = this.tunnel.childSa;
    if (!child) return;
    this.network.tunnelUp({ address: child.virtualIp, suite: child.espSuite, udpEncap: child.udpEncap, linkMtu: this.link.mtu, remote: child.tsRemote }, now);
  }

  private tunnelEvent(ev: TunnelEvent, now: number): void {
    if (ev.type === 'child-up' || ev.type === 'child-rekeyed' || ev.type === 'ike-moved') this.tunnelInstalled(now);
    if (ev.type === 'child-down' || ev.type === 'ike-down') this.network.tunnelDown(now);
    this.emit(ev, now);
    if (ev.type === 'child-up' || ev.type === 'ike-moved') this.network.within(now, () => this.probe.start(now));
    if (ev.type === 'child-down' || ev.type === 'ike-down') this.network.within(now, () => this.probe.stop());
  }

  private linkEvent(ev: LinkEvent, now: number): void {
    this.emit(ev, now);
    if (ev.type === 'link-up') this.tunnel.linkUp(ev.localAddress, now);
    if (ev.type === 'link-down') {
      this.network.within(now, () => this.probe.stop());
      this.tunnel.linkDown(now);
      this.network.tunnelDown(now);
    }
  }

  /** Subscribes to agent events (link, tunnel, app). */
  onEvent(listener: (event: AgentEvent, now: number) => void): void {
    this.listeners.push(listener);
  }

  start(now: number): void {
    this.link.start(now);
  }

  receiveSerial(bytes: Uint8Array, now: number): void {
    this.link.receiveSerial(bytes, now);
  }

  /** Deletes the IKE SA at the gateway, ends PPP, hangs up: 'link-stopped' follows. */
  stop(now: number): void {
    this.tunnel.close(now);
    this.link.stop(now);
  }

  deadline(): number | undefined {
    return earliest(this.link.deadline(), this.tunnel.deadline(), this.network.deadline(), this.probe.deadline());
  }

  onTimer(now: number): void {
    // The turn after one that handed up waiting input serves the timers alone: under sustained
    // input (a saturated line) rekeys, DPD and app timers would otherwise wait for a pause that
    // never comes. Waiting input stays due, so the turn after follows at once.
    if (this.timersFirst) {
      this.timersFirst = false;
      return this.onTimers(now);
    }
    this.link.onTimer(now);
    // A packet that waited for this turn (an ESP packet to open) is the turn's work; the timers
    // due meanwhile stay due, so the next turn follows at once.
    if (this.link.busyWithInput) {
      this.timersFirst = true;
      return;
    }
    this.onTimers(now);
  }

  private onTimers(now: number): void {
    // A key pair or a key exchange's next step is a turn's work too: an app's send in the same turn would double it.
    if (this.tunnel.onTimer(now)) return;
    this.network.onTimer(now);
    this.network.within(now, () => this.probe.onTimer(now));
  }

  private emit(event: AgentEvent, now: number): void {
    this.log.info(describe(event));
    for (const l of this.listeners) l(event, now);
  }
}

/** One line a user follows, for every event. */
export function describe(event: AgentEvent): string {
  switch (event.type) {
    case 'modem': {
      const ev = event.event;
      if (ev.type === 'registered') return `modem registered (${ev.roaming ? 'roaming' : 'home'}, signal ${ev.rssiDbm ?? 'unknown'} dBm)`;
      if (ev.type === 'dialing') return `modem dialing (attempt ${ev.attempt})`;
      if (ev.type === 'online') return `modem online (data mode${ev.rate ? `, ${ev.rate}` : ''})`;
      if (ev.type === 'lost') return `modem call lost: ${ev.reason}`;
      if (ev.type === 'dial-failed') return `modem dial failed: ${ev.reason}`;
      if (ev.type === 'error') return `modem error: ${ev.cause}`;
      return `modem ${ev.type}`;
    }
    case 'link-up':
      return `PPP link up: address ${event.localAddress}, DNS ${event.dns.join(', ') || 'none'}`;
    case 'link-down':
      return `PPP link down: ${event.reason}`;
    case 'link-retry':
      return `trying again in ${Math.round(event.inMs / 1000)} s: ${event.rung} (attempt ${event.attempt + 1}; ${event.reason})`;
    case 'link-stopped':
      return 'link stopped (modem hung up)';
    case 'ike-connecting':
      return `IKE: connecting to the gateway (attempt ${event.attempt})`;
    case 'nat-detected':
      return `IKE: NAT detected (${event.local ? 'this device is behind a NAT' : ''}${event.local && event.remote ? ', ' : ''}${event.remote ? 'the gateway is behind a NAT' : ''}); moving to UDP 4500`;
    case 'ike-up':
      return `IKE SA up with ${event.suite} in ${Math.round(event.elapsedMs)} ms${event.natT ? ' (NAT traversal)' : ''}`;
    case 'child-up':
      return `tunnel up: virtual IP ${event.virtualIp}, DNS ${event.dns.join(', ') || 'none'}, reaching ${event.ts.remote.join(', ')} with ESP ${event.suite}${event.udpEncap ? ' in UDP 4500' : ''}`;
    case 'child-down':
      return `tunnel down: ${event.reason}`;
    case 'child-rekeyed':
      return `tunnel rekeyed: new ESP keys (SPI in ${hex8(event.espSpiIn)}, out ${hex8(event.espSpiOut)}), no interruption`;
    case 'ike-rekeyed':
      return `IKE SA rekeyed: new keys (SPIs ${event.spiI}/${event.spiR})`;
    case 'ike-reauthenticated':
      return `IKE SA re-authenticated before the gateway's limit: new IKE SA ${event.spiI}/${event.spiR}, no interruption`;
    case 'ike-error':
      return `IKE error: ${event.cause}: ${event.detail}; next attempt in ${Math.round(event.retryInMs / 1000)} s${event.permanent ? ' (the gateway refuses this configuration)' : ''}`;
    case 'ike-down':
      return `IKE SA down: ${event.reason}`;
    case 'ike-suspended':
      return `IKE SA kept for up to ${Math.round(event.holdMs / 1000)} s while the link is down`;
    case 'ike-moved':
      return `tunnel back on the new link (${event.localAddress}) in ${Math.round(event.elapsedMs / 1000)} s: same SAs, ${event.mobike ? 'MOBIKE address update' : 'the gateway followed the NAT mapping'}, no new key exchange`;
    case 'probe-resolved':
      return `probe: ${printable(event.name)} is ${event.address} (DNS through the tunnel)`;
    case 'probe-result':
      return `probe: ${event.received}/${event.sent} datagrams echoed byte-exact by ${event.target} (${event.lost} lost, ${event.corrupted} corrupted) in ${Math.round(event.durationMs)} ms`;
    case 'probe-error':
      return `probe: ${event.target}: ${event.error}`;
    case 'udp-held-released':
      return `tunnel back: ${event.delivered} app datagrams held while it was down went out${event.dropped ? `, ${event.dropped} dropped (held queue full)` : ''}`;
  }
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
