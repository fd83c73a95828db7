/** Wires an IkeSession to a FakeGateway on a fake clock: datagrams queue and are delivered by flush(). */
import type { ChildSa } from '../../src/ike/child-sa.ts';
import { IkeSession } from '../../src/ike/session.ts';
import type { IkeEvent, IkePort, IkeSessionConfig, IkeSessionOptions } from '../../src/ike/session-types.ts';
import { silentLogger } from '../../src/util/log.ts';
import { FakeGateway, random, type FakeGatewayOptions } from './ike-session-fake-gateway.ts';

export const PSK = 'unit-test-psk-0123456789';

export function config(overrides: Partial<IkeSessionConfig> = {}): IkeSessionConfig {
  return {
    gateway: '192.0.2.254', localId: 'device1.example.com', remoteId: 'gateway.example.net', psk: PSK,
    ikeProposals: ['aes128gcm16-prfsha256-x25519'], espProposals: ['aes128gcm16'],
    ikeLifetime: 0, childLifetime: 0, dpdInterval: 0, natKeepalive: 0, remoteTs: ['198.51.100.0/24'], maxAttempts: 3,
    ...overrides,
  };
}

export interface Sent {
  at: number;
  port: IkePort;
  payload: Uint8Array;
}

export class Rig {
  now = 0;
  readonly sent: Sent[] = [];
  readonly events: IkeEvent[] = [];
  child: ChildSa | undefined;
  readonly session: IkeSession;
  readonly gw: FakeGateway;
  /** When false, the gateway hears nothing (a dead link). */
  gatewayAlive = true;
  private readonly queue: Array<{ port: IkePort; payload: Uint8Array }> = [];

  constructor(gw: Partial<FakeGatewayOptions> = {}, cfg: Partial<IkeSessionConfig> = {}, options: IkeSessionOptions = {}) {
    this.gw = new FakeGateway({ psk: PSK, id: 'gateway.example.net', ...gw });
    this.session = new IkeSession(config(cfg), { random, log: silentLogger() }, {
      sendUdp: (port, payload) => {
        this.sent.push({ at: this.now, port, payload: payload.slice() });
        if (!this.gatewayAlive) return;
        const ike = port === 'nat-t' ? (payload.length === 1 ? undefined : payload.subarray(4)) : payload;
        if (!ike) return;
        const answer = this.gw.handle(ike);
        if (answer) this.queue.push({ port, payload: port === 'nat-t' ? withMarker(answer) : answer });
      },
      onEvent: (ev) => this.events.push(ev),
      onChildSa: (c) => (this.child = c),
      onChildSaInbound: () => {},
      onChildSaRetired: () => {},
    }, options);
  }

  start(): this {
    this.session.start(this.now, '10.0.2.15', 500);
    this.flush();
    return this;
  }

  /** Delivers queued gateway answers (and whatever they trigger). */
  flush(): void {
    for (let guard = 0; this.queue.length && guard < 100; guard++) {
      const { port, payload } = this.queue.shift()!;
      this.session.input(payload, port, this.now);
    }
  }

  /** Feeds a datagram from the gateway as if it arrived now. */
  inject(payload: Uint8Array, port: IkePort = 'nat-t'): void {
    this.session.input(port === 'nat-t' ? withMarker(payload) : payload, port, this.now);
    this.flush();
  }

  /** Runs timers up to `until` (absolute ms), like a host would. Returns how many timer turns ran. */
  runUntil(until: number): number {
    let turns = 0;
    for (;;) {
      const at = this.session.deadline();
      if (at === undefined || at > until) break;
      this.now = Math.max(this.now, at);
      this.session.onTimer(this.now);
      this.flush();
      if (++turns > 10_000) throw new Error('busy loop: the deadline never moves');
    }
    this.now = until;
    return turns;
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  last<T extends IkeEvent['type']>(type: T): Extract<IkeEvent, { type: T }> | undefined {
    return [...this.events].reverse().find((e): e is Extract<IkeEvent, { type: T }> => e.type === type);
  }
}

export function withMarker(ike: Uint8Array): Uint8Array {
  const out = new Uint8Array(ike.length + 4);
  out.set(ike, 4);
  return out;
}
