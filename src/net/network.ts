/**
 * The app's network over the tunnel: TCP on the tunnel's inner IPv4 stack, UDP and DNS, and
 * the tunnel's state (virtual IP, path MTU of the negotiated ESP suite, traffic selectors). The
 * agent feeds it like every layer (tunnel events, onTimer, serial drained, all with `now`); the
 * ECMA-419 socket classes (sockets/) call into it.
 *
 * App callbacks never run in the middle of protocol processing: sockets post them, and the
 * network runs them at the end of the agent's turn, with that turn's `now`. A socket call made
 * outside the agent's turns (from the app's own timer) becomes an agent turn through the
 * `enter` port (the Runner's act), so the sockets never touch the platform's timer or clock.
 * TCP writes go out when the turn ends, like Moddable's lwIP socket: those of the callbacks
 * after them, those of app calls in the next turn (TCP's deadline is then now).
 */
import { selectorContains } from '../ike/traffic-selectors.ts';
import type { EspSuite } from '../crypto/suites.ts';
import type { DnsResolver } from '../dns/resolver.ts';
import { addressToBytes } from '../ip/address.ts';
import { PROTO_TCP } from '../ip/ipv4.ts';
import type { IpStack } from '../ip/stack.ts';
import type { Random } from '../platform.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { earliest } from '../util/time.ts';
import type { NetSettings } from './config.ts';
import { NetError } from './errors.ts';
import { innerMtu, linkBytes, pathOf, tcpMss, type TunnelPath } from './path.ts';
import { TcpLayer, type TcpCounters } from './tcp/layer.ts';

/** What the network needs to know of the tunnel when a CHILD SA is installed (first or rekeyed). */
export interface TunnelInfo {
  address: string;
  suite: EspSuite;
  udpEncap: boolean;
  /** The PPP link's MTU (the peer's MRU). */
  linkMtu: number;
  /** The remote traffic selectors: what the tunnel reaches. */
  remote: readonly Selector[];
}

/** An IPv4 traffic selector as numbers (the shape of src/ike's Ipv4Selector). */
export interface Selector {
  protocol: number;
  startPort: number;
  endPort: number;
  start: number;
  end: number;
}

export interface NetworkDeps {
  /** The tunnel's inner IPv4 stack (its address is the virtual IP). */
  ip: IpStack;
  dns: DnsResolver;
  random: Random;
  log: Logger;
  settings: NetSettings;
}

export interface NetworkPorts {
  /** Runs `work` as an agent turn with the current time (the Runner's act). */
  enter(work: (now: number) => void): void;
  /** Bytes queued for the serial line (0 when the host cannot tell). */
  serialQueued(): number;
  /** What the app should hear about (datagrams the held queue dropped while the tunnel was down). */
  report?(event: NetEvent, now: number): void;
}

export type NetEvent = { type: 'udp-held-released'; dropped: number; delivered: number };

/** An app datagram held while the tunnel is down: it goes out through `send` once the tunnel is back. */
interface Held {
  send(now: number): void;
  bytes: number;
}

/** A socket waiting for the tunnel to come up. */
export interface TunnelWaiter {
  until: number;
  ready(now: number): void;
  fail(error: NetError, now: number): void;
}

export interface NetCounters {
  tcp: TcpCounters;
  appCallbackErrors: number;
  drops: Record<string, number>;
}

/** Path assumed before any CHILD SA: 536 (RFC 9293's default) keeps every segment small enough. */
const DEFAULT_MSS = 536;
/** PPP framing around one packet (flags, address/control, protocol, FCS) and ~6% byte stuffing. */
const pppBytes = (link: number): number => Math.ceil(link * 1.06) + 8;
/** Callbacks run per turn at most; the rest wait for the next turn (an app that posts forever cannot hang the agent). */
const CALLBACKS_PER_TURN = 256;

export class Network {
  readonly tcp: TcpLayer;
  readonly settings: NetSettings;
  private path: TunnelPath | undefined;
  private address: string | undefined;
  private selectors: readonly Selector[] = [];
  private isUp = false;
  private readonly waiters = new Set<TunnelWaiter>();
  private readonly posted: Array<(now: number) => void> = [];
  private turnNow: number | undefined;
  private moreCallbacksAt: number | undefined;
  private readonly drops: DropCounter;
  private appErrors = 0;
  /** App datagrams written while the tunnel is down, oldest first, bounded (settings.udpQueue). */
  private readonly held: Held[] = [];
  private heldBytes = 0;
  private heldDropped = 0;
  private heldDelivered = 0;

  constructor(private readonly deps: NetworkDeps, private readonly ports: NetworkPorts) {
    this.settings = deps.settings;
    this.drops = new DropCounter(deps.log);
    this.tcp = new TcpLayer(
      { ...deps.settings },
      { random: deps.random, log: deps.log.child('tcp') },
      {
        localAddress: () => deps.ip.localAddressBytes(),
        send: (dst, segment, now) => deps.ip.sendRaw(PROTO_TCP, dst, segment, now),
        pathMss: () => (this.path ? tcpMss(this.path) : DEFAULT_MSS),
        linkRoom: (payload) => this.linkRoom(40 + payload, deps.settings.serialQueue),
      },
    );
    deps.ip.setProtocolHandler(PROTO_TCP, (d, now) => this.turn(now, () => this.tcp.input(d.src, d.dst, d.payload, now)));
  }

  get ip(): IpStack {
    return this.deps.ip;
  }

  get dns(): DnsResolver {
    return this.deps.dns;
  }

  get log(): Logger {
    return this.deps.log;
  }

  get up(): boolean {
    return this.isUp;
  }

  /** The virtual IP, while the tunnel is up. */
  get localAddress(): string | undefined {
    return this.isUp ? this.address : undefined;
  }

  // ---- fed by the agent ------------------------------------------------------------------

  /** A CHILD SA was installed (tunnel up or rekeyed): the path, the address and the selectors may have changed. */
  tunnelUp(info: TunnelInfo, now: number): void {
    this.turn(now, () => {
      if (this.address !== undefined && this.address !== info.address) {
        this.tcp.abortAll(new NetError('address-changed', `the tunnel came back with virtual IP ${info.address} instead of ${this.address}`), now);
      }
      this.address = info.address;
      this.selectors = info.remote;
      this.path = pathOf(info.suite, info.linkMtu, info.udpEncap);
      this.deps.ip.setMtu(innerMtu(this.path));
      const wasUp = this.isUp;
      this.isUp = true;
      if (!wasUp) this.deps.log.info(`network up: ${info.address}, TCP MSS ${tcpMss(this.path)}, inner MTU ${innerMtu(this.path)}`);
      for (const w of [...this.waiters]) {
        this.waiters.delete(w);
        w.ready(now);
      }
      this.releaseHeld(now);
      if (!wasUp) this.tcp.pathRestored(now);
      this.tcp.pump(now);
    });
  }

  /** The tunnel is down: connections stay (they retransmit, bounded) and resume if it comes back with the same address. */
  tunnelDown(now: number): void {
    this.turn(now, () => {
      this.isUp = false;
    });
  }

  /** The serial line took bytes off its queue: TCP may send again. */
  serialWritable(now: number): void {
    this.turn(now, () => {
      this.releaseHeld(now);
      this.tcp.pump(now);
    });
  }

  deadline(): number | undefined {
    let at = earliest(this.tcp.deadline(), this.moreCallbacksAt);
    for (const w of this.waiters) at = earliest(at, w.until);
    return at;
  }

  onTimer(now: number): void {
    this.turn(now, () => {
      this.moreCallbacksAt = undefined;
      for (const w of [...this.waiters]) {
        if (now < w.until) continue;
        this.waiters.delete(w);
        w.fail(new NetError('tunnel-down', `the tunnel did not come up within ${this.settings.tunnelWaitMs / 1000} s`), now);
      }
      this.tcp.onTimer(now);
    });
  }

  counters(): NetCounters {
    return { tcp: this.tcp.counters(), appCallbackErrors: this.appErrors, drops: this.drops.snapshot() };
  }

  // ---- for the sockets -------------------------------------------------------------------

  /**
   * Runs a socket call with `now`: directly inside an agent turn, else as a new agent turn.
   * What `work` throws (a NetError for the app) is thrown to the caller.
   */
  run<T>(work: (now: number) => T): T {
    if (this.turnNow !== undefined) return work(this.turnNow);
    let result: { value: T } | { error: unknown } | undefined;
    this.ports.enter((now) =>
      this.turn(
        now,
        () => {
          try {
            result = { value: work(now) };
          } catch (e) {
            result = { error: e };
          }
        },
        true,
      ),
    );
    if (!result) throw new Error('the agent did not run the socket call');
    if ('error' in result) throw result.error;
    return result.value;
  }

  /** Runs `work` as part of the agent's turn at `now`: for callbacks of the DNS resolver and UDP sockets. */
  within(now: number, work: () => void): void {
    this.turn(now, work);
  }

  /** Queues an app callback for the end of the current turn; it gets that turn's `now`. */
  post(callback: (now: number) => void): void {
    this.posted.push(callback);
  }

  /** Waits for the tunnel (bounded by netTunnelWait); fails at once when that is 0. */
  waitForTunnel(waiter: Omit<TunnelWaiter, 'until'>, now: number): void {
    if (this.settings.tunnelWaitMs === 0) return waiter.fail(new NetError('tunnel-down', 'the tunnel is down'), now);
    this.waiters.add({ ...waiter, until: now + this.settings.tunnelWaitMs });
  }

  cancelWait(ready: (now: number) => void): void {
    for (const w of this.waiters) if (w.ready === ready) this.waiters.delete(w);
  }

  /** undefined when the tunnel's selectors cover `address` (and `port` of `protocol`), else why not. */
  routeError(address: string, protocol: number, port: number): NetError | undefined {
    const b = addressToBytes(address);
    if (!b) return new NetError('invalid', `not an IPv4 address: ${address}`);
    if (this.selectors.length === 0) return undefined;
    const n = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
    return selectorContains(this.selectors, n, protocol, port) ? undefined : new NetError('no-route', `${address} is outside the tunnel's traffic selectors`);
  }

  /**
   * Whether an inner packet of `inner` bytes may go to the serial line now: the line's queue stays
   * under `limit` (an empty queue always takes one packet).
   */
  linkRoom(inner: number, limit: number): boolean {
    const queued = this.ports.serialQueued();
    if (queued === 0) return true;
    const cost = pppBytes(this.path ? linkBytes(this.path, inner) : inner + 80);
    return queued + cost <= limit;
  }

  /**
   * Holds an app datagram while the tunnel is down; false when the queue is off (the write fails).
   * A full queue drops one (the oldest by default), counted, and the app hears the total when the
   * tunnel is back.
   */
  hold(bytes: number, send: (now: number) => void): boolean {
    const q = this.settings.udpQueue;
    if (q.length === 0 || bytes > q.bytes) return false;
    while (this.held.length >= q.length || this.heldBytes + bytes > q.bytes) {
      this.heldDropped++;
      this.drops.drop('udp datagram dropped: queue full while the tunnel was down');
      if (!q.dropOldest) return true;
      this.heldBytes -= this.held.shift()!.bytes;
    }
    this.held.push({ send, bytes });
    this.heldBytes += bytes;
    return true;
  }

  /** Held datagrams still wait for the serial line: a new one queues behind them (order, and no drop while there is room). */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** The tunnel is back: held datagrams go out in order, as fast as the serial line takes them. */
  private releaseHeld(now: number): void {
    while (this.isUp && this.held.length && this.linkRoom(28 + this.held[0]!.bytes, this.settings.serialQueueMax)) {
      const d = this.held.shift()!;
      this.heldBytes -= d.bytes;
      this.heldDelivered++;
      d.send(now);
    }
    if (this.held.length || (!this.heldDropped && !this.heldDelivered)) return;
    if (this.heldDropped) this.deps.log.warn(`${this.heldDropped} app datagrams were dropped while the tunnel was down (held queue full); ${this.heldDelivered} went out when it came back`);
    this.ports.report?.({ type: 'udp-held-released', dropped: this.heldDropped, delivered: this.heldDelivered }, now);
    this.heldDropped = this.heldDelivered = 0;
  }

  /** Counts a drop of the network's own (UDP app datagrams refused, ...). */
  drop(reason: string, detail?: string): void {
    this.drops.drop(reason, detail);
  }

  // ---- turns -----------------------------------------------------------------------------

  /**
   * One turn of the network. Callbacks posted during a turn the app's own call opened wait for
   * the next turn: the app never gets a callback before its call (a constructor!) has returned.
   */
  private turn(now: number, work: () => void, appCall = false): void {
    if (this.turnNow !== undefined) return work();
    this.turnNow = now;
    this.tcp.beginTurn();
    try {
      work();
      if (!appCall) {
        this.runCallbacks(now);
        this.tcp.flush(now); // what the callbacks wrote, together (an app call's writes wait for the next turn: tcp.deadline)
      }
      if (this.posted.length) this.moreCallbacksAt ??= now;
    } finally {
      this.turnNow = undefined;
    }
  }

  private runCallbacks(now: number): void {
    for (let n = 0; this.posted.length > 0; n++) {
      if (n >= CALLBACKS_PER_TURN) {
        this.moreCallbacksAt = now;
        return;
      }
      const callback = this.posted.shift()!;
      try {
        callback(now);
      } catch (e) {
        this.appErrors++;
        this.deps.log.error(`app callback threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
