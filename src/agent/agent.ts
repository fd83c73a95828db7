/**
 * The device agent: everything from the serial bytes up to the app, sans-IO.
 * serial → modem/PPP → outer IPv4/UDP → IKE/ESP → inner IPv4/UDP → app.
 * Hosts feed it (bytes or a timer tick, now) through the Runner; it writes serial bytes
 * and reports events through its ports.
 */
import type { AgentConfig } from '../config.ts';
import type { KeyLog, LogSink, Random } from '../platform.ts';
import { Logger } from '../util/log.ts';
import { CellularLink, type LinkEvent } from './cellular-link.ts';
import { earliest } from './deadlines.ts';
import type { DrivenAgent } from './runner.ts';

export type AgentEvent = LinkEvent;

export interface AgentDeps {
  config: AgentConfig;
  random: Random;
  log: LogSink;
  keyLog?: KeyLog;
}

export interface AgentPorts {
  writeSerial(bytes: Uint8Array): void;
  setDtr?(asserted: boolean): void;
  onEvent?(event: AgentEvent, now: number): void;
}

export class Agent implements DrivenAgent {
  readonly link: CellularLink;
  private readonly log: Logger;
  private readonly listeners: Array<(event: AgentEvent, now: number) => void> = [];

  constructor(deps: AgentDeps, ports: AgentPorts) {
    this.log = new Logger(deps.log, 'agent', deps.config.logLevel);
    if (ports.onEvent) this.listeners.push(ports.onEvent);
    this.link = new CellularLink(deps.config, { random: deps.random, log: this.log }, {
      writeSerial: (b) => ports.writeSerial(b),
      setDtr: ports.setDtr,
      onEvent: (ev, now) => this.emit(ev, now),
    });
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

  stop(now: number): void {
    this.link.stop(now);
  }

  deadline(): number | undefined {
    return earliest(this.link.deadline());
  }

  onTimer(now: number): void {
    this.link.onTimer(now);
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
      if (ev.type === 'error') return `modem error: ${ev.cause}`;
      return `modem ${ev.type}`;
    }
    case 'link-up':
      return `PPP link up: address ${event.localAddress}, DNS ${event.dns.join(', ') || 'none'}`;
    case 'link-down':
      return `PPP link down: ${event.reason}`;
    case 'link-stopped':
      return 'link stopped (modem hung up)';
  }
}
