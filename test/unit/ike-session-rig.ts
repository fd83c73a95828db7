/** Wires an IkeSession to a FakeGateway on a fake clock: datagrams queue and are delivered by flush(). */
import { ChildSaTable } from '../../src/ike/child-sa-table.ts';
import type { ChildSa } from '../../src/ike/child-sa.ts';
import { ikeSection, type IkeManifest, type IkeSettings } from '../../src/ike/config.ts';
import type { IkeEvent, IkePort } from '../../src/ike/events.ts';
import { IkeSession, type IkeTuning } from '../../src/ike/session.ts';
import type { KeyLog } from '../../src/platform.ts';
import type { BackoffSettings } from '../../src/util/backoff.ts';
import { DropCounter, silentLogger, type Logger } from '../../src/util/log.ts';
import { FakeGateway, random, type FakeGatewayOptions } from './ike-session-fake-gateway.ts';

export const PSK = 'unit-test-psk-0123456789';

/** IKE settings as the validator parses them from a manifest; unit tests turn lifetimes and liveness off unless they test them. */
export function ikeSettings(overrides: Partial<IkeManifest> = {}): IkeSettings {
  return ikeSection.parse({
    ...(ikeSection.defaults as IkeManifest),
    gateway: '192.0.2.254', localId: 'device1.example.com', remoteId: 'gateway.example.net', sendRemoteId: true, psk: PSK,
    ikeLifetime: 0, childLifetime: 0, dpdInterval: 0, dpdIdle: 0, natKeepalive: 0, remoteTs: ['198.51.100.0/24'],
    ...overrides,
  });
}

/** The retry policy with known numbers: 3 quick attempts 2 s apart (doubling), then 60 s growing to 1800 s (±20 % jitter). */
export function retry(overrides: Partial<BackoffSettings> = {}): BackoffSettings {
  return { quickAttempts: 3, quickMs: 2000, intervalMs: 60_000, maxIntervalMs: 1_800_000, ...overrides };
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
  readonly children = new ChildSaTable();
  readonly session: IkeSession;
  readonly gw: FakeGateway;
  /** When false, the gateway hears nothing (a dead link). */
  gatewayAlive = true;
  private readonly queue: Array<{ port: IkePort; payload: Uint8Array }> = [];

  constructor(gw: Partial<FakeGatewayOptions> = {}, cfg: Partial<IkeManifest> = {}, tuning: IkeTuning = {}, backoff: Partial<BackoffSettings> = {}, log: Logger = silentLogger(), keyLog?: KeyLog) {
    this.gw = new FakeGateway({ psk: PSK, id: 'gateway.example.net', ...gw });
    this.session = new IkeSession(ikeSettings(cfg), retry(backoff), { random, log, keyLog, espDrops: new DropCounter(log) }, this.children, {
      sendUdp: (port, payload) => {
        this.sent.push({ at: this.now, port, payload: payload.slice() });
        if (!this.gatewayAlive) return;
        const ike = port === 'nat-t' ? (payload.length === 1 ? undefined : payload.subarray(4)) : payload;
        if (!ike) return;
        const answer = this.gw.handle(ike);
        if (answer) this.queue.push({ port, payload: port === 'nat-t' ? withMarker(answer) : answer });
      },
      onEvent: (ev) => this.events.push(ev),
    }, tuning);
  }

  get child(): ChildSa | undefined {
    return this.children.current;
  }

  /** Starts and runs the turns of the bring-up (the key pair and the key derivation have turns of their own). */
  start(): this {
    this.session.start(this.now, '10.0.2.15', 500);
    this.flush();
    this.runUntil(this.now);
    return this;
  }

  /** Delivers queued gateway answers (and whatever they trigger), and the turns they make due at once. */
  flush(): void {
    for (let guard = 0; this.queue.length && guard < 100; guard++) {
      const { port, payload } = this.queue.shift()!;
      this.session.input(payload, port, this.now);
      this.runDue();
    }
  }

  /** Feeds a datagram from the gateway as if it arrived now. */
  inject(payload: Uint8Array, port: IkePort = 'nat-t'): void {
    this.session.input(port === 'nat-t' ? withMarker(payload) : payload, port, this.now);
    this.runDue();
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
    this.now = Math.max(this.now, until);
    return turns;
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  last<T extends IkeEvent['type']>(type: T): Extract<IkeEvent, { type: T }> | undefined {
    return [...this.events].reverse().find((e): e is Extract<IkeEvent, { type: T }> => e.type === type);
  }

  /** Turns due now (a yielded task resumes in a turn of its own). */
  private runDue(): void {
    for (let guard = 0; guard < 100; guard++) {
      const at = this.session.deadline();
      if (at === undefined || at > this.now) return;
      this.session.onTimer(this.now);
    }
  }
}

export function withMarker(ike: Uint8Array): Uint8Array {
  const out = new Uint8Array(ike.length + 4);
  out.set(ike, 4);
  return out;
}
