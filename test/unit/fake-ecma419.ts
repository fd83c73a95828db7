/**
 * An in-process fake of the ECMA-419 world the app clients run in: a manual clock with timers,
 * TCP sockets whose callbacks come later (never from inside the call that caused them, like real
 * sockets), servers the test scripts, and a DNS resolver over a fixed table. Unit tests only.
 */
import type { ClientRuntime, ResolveRequest, TcpOptions, TcpSocket } from '../../src/io/ecma419.ts';
import type { Timer } from '../../src/platform.ts';
import { ByteQueue } from './byte-queue.ts';

export class FakeClock {
  now = 0;
  private readonly timers = new Set<{ at: number; fire: () => void }>();
  private readonly deferred: (() => void)[] = [];

  runtime(): ClientRuntime {
    return {
      now: () => this.now,
      timer: () => this.timer(),
      random: { bytes: (n) => new Uint8Array(n).fill(0xff) }, // the longest backoff: deterministic
    };
  }

  timer(): Timer {
    let armed: { at: number; fire: () => void } | undefined;
    return {
      schedule: (at, fire) => {
        if (armed) this.timers.delete(armed);
        armed = at === undefined ? undefined : { at, fire };
        if (armed) this.timers.add(armed);
      },
    };
  }

  /** Runs `fn` after the current call returns (as a socket event would). */
  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  /** Runs deferred events and due timers at the current time until nothing is left. */
  settle(): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const d = this.deferred.shift();
      if (d) { d(); continue; }
      const t = this.nextTimer();
      if (!t || t.at > this.now) return;
      this.timers.delete(t);
      t.fire();
    }
    throw new Error('fake clock: events do not settle');
  }

  /** Moves time forward by `ms`, firing every timer on the way at its own time. */
  advance(ms: number): void {
    const until = this.now + ms;
    this.settle();
    for (;;) {
      const t = this.nextTimer();
      if (!t || t.at > until) break;
      this.now = Math.max(this.now, t.at);
      this.settle();
    }
    this.now = until;
    this.settle();
  }

  /** Advances in steps until `done()` or `limitMs` passed; returns whether done. */
  until(done: () => boolean, limitMs = 600_000, stepMs = 100): boolean {
    for (let spent = 0; spent <= limitMs; spent += stepMs) {
      this.settle();
      if (done()) return true;
      this.advance(stepMs);
    }
    return done();
  }

  private nextTimer(): { at: number; fire: () => void } | undefined {
    let best: { at: number; fire: () => void } | undefined;
    for (const t of this.timers) if (!best || t.at < best.at) best = t;
    return best;
  }
}

/** The server's end of one connection. */
export class ServerConnection {
  readonly received: Uint8Array[] = [];
  closed = false;
  /** The server stopped reading (its receive window closed): the client's bytes stay in its send buffer. */
  stalled = false;
  onData: (bytes: Uint8Array) => void = () => {};
  onClose: () => void = () => {};

  constructor(private readonly socket: FakeTcp, private readonly clock: FakeClock) {}

  receivedBytes(): Uint8Array {
    const all = new Uint8Array(this.received.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of this.received) { all.set(b, o); o += b.length; }
    return all;
  }

  write(bytes: Uint8Array | number[]): void {
    if (this.closed) return;
    const copy = Uint8Array.from(bytes);
    this.clock.defer(() => this.socket.deliver(copy));
  }

  /** The server closes (or the path breaks): the client sees onError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.defer(() => this.socket.fail());
  }

  /** @internal */
  fromClient(bytes: Uint8Array): void {
    if (this.closed) return;
    this.received.push(bytes);
    this.onData(bytes);
  }

  /** @internal */
  clientClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

export type Accept = (conn: ServerConnection) => void;

interface Endpoint { accept?: Accept; refuse?: boolean }

export class FakeTcp implements TcpSocket {
  format = 'buffer';
  private readonly inbound = new ByteQueue();
  private writableLeft: number;
  private state: 'connecting' | 'open' | 'failed' | 'closed' = 'connecting';
  private errorPending = false;
  server: ServerConnection | undefined;
  readonly written: Uint8Array[] = [];

  constructor(private readonly net: FakeNetwork, private readonly options: TcpOptions) {
    this.writableLeft = net.sendBuffer;
    net.sockets.push(this);
    const endpoint = net.endpoints.get(`${options.address}:${options.port}`);
    net.clock.defer(() => {
      if (this.state !== 'connecting') return;
      if (!endpoint?.accept || endpoint.refuse) return this.fail();
      this.state = 'open';
      this.server = new ServerConnection(this, net.clock);
      endpoint.accept(this.server);
      this.options.onWritable?.call(this, this.writableLeft);
    });
  }

  get address(): string { return this.options.address; }
  get port(): number { return this.options.port; }
  get open(): boolean { return this.state === 'open'; }

  read(count?: number): ArrayBuffer | undefined {
    const out = this.inbound.take(count);
    if (this.errorPending && this.inbound.length === 0) this.net.clock.defer(() => this.fail());
    return out;
  }

  write(data: ArrayBuffer | ArrayBufferView): number {
    if (this.state === 'connecting') throw new Error('not ready');
    if (this.state !== 'open') return 0;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data).slice() : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    if (bytes.length > this.writableLeft) throw new Error('would block');
    this.writableLeft -= bytes.length;
    this.written.push(bytes);
    this.net.clock.defer(() => {
      if (this.server?.stalled) return; // never taken: the room they hold does not come back
      this.server?.fromClient(bytes);
      if (this.state !== 'open') return;
      this.writableLeft += bytes.length; // the peer took them: room again
      this.options.onWritable?.call(this, this.writableLeft);
    });
    return this.writableLeft;
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const server = this.server;
    this.net.clock.defer(() => server?.clientClosed());
  }

  /** @internal */
  deliver(bytes: Uint8Array): void {
    if (this.state !== 'open') return;
    this.inbound.push(bytes);
    this.options.onReadable?.call(this, this.inbound.length);
  }

  /** @internal */
  fail(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    // As Moddable's sockets do: the error comes after the bytes received before it are read.
    this.errorPending = this.inbound.length > 0;
    if (this.errorPending) return;
    this.state = 'failed';
    this.options.onError?.call(this);
  }
}

export class FakeNetwork {
  readonly endpoints = new Map<string, Endpoint>();
  readonly names = new Map<string, string>();
  readonly sockets: FakeTcp[] = [];
  readonly lookups: string[] = [];
  sendBuffer = 8192;

  constructor(readonly clock: FakeClock) {}

  listen(address: string, port: number, accept: Accept): void {
    this.endpoints.set(`${address}:${port}`, { accept });
  }

  /** The ECMA-419 TCP class bound to this network. */
  get TCP(): new (options: TcpOptions) => FakeTcp {
    const net = this;
    return class extends FakeTcp {
      constructor(options: TcpOptions) {
        super(net, options);
      }
    };
  }

  /** The ECMA-419 DNS Resolver class over `names`. */
  get Resolver(): new (options: Record<string, unknown>) => { resolve(r: ResolveRequest): void; close(): void } {
    const net = this;
    return class {
      resolve(r: ResolveRequest): void {
        net.lookups.push(r.host);
        net.clock.defer(() => {
          const address = net.names.get(r.host);
          if (address) r.onResolved(r.host, address);
          else r.onError(r.host);
        });
      }
      close(): void {}
    };
  }

  /** Breaks every open connection, as a carrier loss would. */
  breakAll(): void {
    for (const s of this.sockets) if (s.open) s.server?.close();
  }

  openSockets(): FakeTcp[] {
    return this.sockets.filter((s) => s.open);
  }
}
