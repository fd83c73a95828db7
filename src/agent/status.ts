/**
 * What an app can know of the tunnel without reading logs: published on the device as
 * `device.network.ikelet` (hosts/esp32/setup.ts). It follows the agent's events; apps read its
 * fields and may ask to be told of each change.
 */
import type { AgentEvent } from './agent.ts';
import type { TunnelTraffic } from './tunnel.ts';

export type TunnelState = 'offline' | 'link-up' | 'connecting' | 'up';

export interface TunnelStatusView {
  /** offline: no PPP link; link-up: PPP up, no IKE yet; connecting: IKE under way; up: traffic flows. */
  readonly state: TunnelState;
  /** The virtual IP the gateway gave, while `up`. */
  readonly virtualIp: string | undefined;
  /** DNS servers the gateway gave, while `up`. */
  readonly dns: readonly string[];
  /** What last went wrong, in words (also when the tunnel has recovered since). */
  readonly lastError: string | undefined;
  /** Agent time (ms) of the last state change. */
  readonly since: number;
  /** Bytes and packets of IP by cause since boot (IKE with NAT keepalives, ESP), as counted at the outer IPv4 layer. */
  readonly traffic: Readonly<TunnelTraffic>;
  /** The signal (+CSQ, dBm) and roaming when the modem last registered; undefined before. */
  readonly signalDbm: number | undefined;
  readonly roaming: boolean | undefined;
  /** The recovery ladder's last rung and why, e.g. "radio: modem error: network registration denied (+CEREG: 3)". */
  readonly lastRecovery: string | undefined;
}

/** At most this many change listeners: an app that adds one per reconnect must not grow the list for ever. */
export const MAX_STATUS_LISTENERS = 8;

export class TunnelStatus implements TunnelStatusView {
  state: TunnelState = 'offline';
  virtualIp: string | undefined = undefined;
  dns: readonly string[] = [];
  lastError: string | undefined = undefined;
  since = 0;
  signalDbm: number | undefined = undefined;
  roaming: boolean | undefined = undefined;
  lastRecovery: string | undefined = undefined;
  private readonly listeners: ((status: TunnelStatusView) => void)[] = [];

  constructor(readonly traffic: Readonly<TunnelTraffic>) {}

  /** Calls `listener` after every change (with this status), from the agent's turn. Returns false when the list is full. */
  onChanged(listener: (status: TunnelStatusView) => void): boolean {
    if (this.listeners.length >= MAX_STATUS_LISTENERS) return false;
    this.listeners.push(listener);
    return true;
  }

  /** Follows one agent event (Agent.onEvent). A listener that throws does not reach the agent. */
  apply(event: AgentEvent, now: number): void {
    const before = this.fingerprint();
    switch (event.type) {
      case 'link-up':
        this.to('link-up', now);
        break;
      case 'link-down':
      case 'link-stopped':
        this.lastError = event.type === 'link-down' ? `PPP link down: ${event.reason}` : this.lastError;
        this.to('offline', now);
        break;
      case 'ike-connecting':
        this.to('connecting', now);
        break;
      case 'child-up':
      case 'ike-moved':
        this.virtualIp = event.virtualIp;
        this.dns = Object.freeze([...event.dns]);
        this.to('up', now);
        break;
      case 'child-down':
      case 'ike-down':
        this.lastError = event.type === 'child-down' ? `tunnel down: ${event.reason}` : `IKE SA down: ${event.reason}`;
        if (this.state === 'up') this.to('link-up', now);
        break;
      case 'ike-error':
        this.lastError = `IKE error: ${event.cause}`;
        break;
      case 'modem':
        if (event.event.type !== 'registered') return;
        this.signalDbm = event.event.rssiDbm;
        this.roaming = event.event.roaming;
        break;
      case 'link-retry':
        this.lastRecovery = `${event.rung}: ${event.reason}`;
        break;
      default:
        return;
    }
    if (before === this.fingerprint()) return;
    for (const listener of this.listeners) {
      try {
        listener(this);
      } catch {
        // an app's listener is the app's: the agent carries on
      }
    }
  }

  private fingerprint(): string {
    return `${this.state} ${this.virtualIp} ${this.lastError} ${this.signalDbm} ${this.roaming} ${this.lastRecovery}`;
  }

  private to(state: TunnelState, now: number): void {
    if (state === this.state) return;
    this.state = state;
    this.since = now;
    if (state !== 'up') {
      this.virtualIp = undefined;
      this.dns = [];
    }
  }
}
