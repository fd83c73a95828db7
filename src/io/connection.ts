/**
 * One TCP connection of an app client over the ECMA-419 classes it was given: resolve the host
 * (the DNS class, skipped for an IPv4 literal), open the socket, tell "up" at its first onWritable
 * (ECMA-419's sign of an established connection), write from a queue as the socket has room,
 * and tell "down" once. Every callback runs through the owner's `step` (its turn with `now`);
 * callbacks from a connection that was closed are ignored.
 */
import type { Logger } from '../util/log.ts';
import type { DnsOption, SocketOption, TcpSocket } from './ecma419.ts';

export type ConnectionFailure = 'dns-failed' | 'socket-failed' | 'connection-lost';

export interface ConnectionEvents {
  up(now: number): void;
  /** `count` bytes are readable (read them with read()). */
  readable(count: number, now: number): void;
  /** The socket took queued bytes and has room again. */
  writable(now: number): void;
  down(failure: ConnectionFailure, detail: string, now: number): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  socket: SocketOption;
  dns?: DnsOption;
  log: Logger;
  /** The owner's turn: runs work with `now` (the socket's, when its callback carries one), then re-arms the owner's timer. */
  step(work: (now: number) => void, now?: number): void;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export class Connection {
  private socket: TcpSocket | undefined;
  private live = true;
  private isUp = false;
  private writableBytes = 0;
  private readonly outbox: Uint8Array[] = [];
  private queued = 0;

  constructor(private readonly options: ConnectionOptions, private readonly events: ConnectionEvents) {
    const { host, dns } = options;
    if (IPV4.test(host) || !dns) {
      this.connect(host, host);
      return;
    }
    try {
      const resolver = new dns.io({ ...dns });
      resolver.resolve({
        host,
        onResolved: (name, address) => {
          resolver.close();
          if (this.live) this.connect(name, address);
        },
        onError: () => {
          resolver.close();
          this.fail('dns-failed', `could not resolve ${host}`);
        },
      });
    } catch (e) {
      this.fail('dns-failed', `resolver: ${String(e)}`);
    }
  }

  get up(): boolean {
    return this.isUp && this.live;
  }

  /** Bytes queued and not yet taken by the socket. */
  get pending(): number {
    return this.queued;
  }

  send(bytes: Uint8Array): void {
    if (!this.live) return;
    this.outbox.push(bytes);
    this.queued += bytes.length;
    this.flush();
  }

  read(count: number): Uint8Array | undefined {
    if (!this.live || !this.socket) return undefined;
    const chunk = this.socket.read(count);
    return chunk && chunk.byteLength ? new Uint8Array(chunk) : undefined;
  }

  /** Closes the socket; no event follows. */
  close(): void {
    if (!this.live) return;
    this.live = false;
    this.outbox.length = 0;
    this.queued = 0;
    try {
      this.socket?.close();
    } catch {
      /* closing a broken socket may throw: it is gone either way */
    }
    this.socket = undefined;
  }

  private connect(host: string, address: string): void {
    const self = this;
    this.options.step(() => {
      try {
        this.socket = new this.options.socket.io({
          ...this.options.socket,
          address,
          host,
          port: this.options.port,
          // ikelet's tunnel sockets pass the agent turn's `now` last; other sockets do not.
          onReadable(count, now?: number) {
            if (self.live) self.options.step((t) => self.events.readable(count, t), now);
          },
          onWritable(count, now?: number) {
            if (self.live) self.options.step((t) => self.onWritable(count, t), now);
          },
          onError(error?: unknown, now?: number) {
            self.fail('connection-lost', error instanceof Error ? error.message : 'the connection broke', now);
          },
        });
      } catch (e) {
        this.fail('socket-failed', String(e));
      }
    });
  }

  private onWritable(count: number, now: number): void {
    this.writableBytes = count;
    this.flush();
    if (!this.isUp) {
      this.isUp = true;
      this.events.up(now);
    } else this.events.writable(now);
  }

  /** Writes what fits the socket now; the rest waits for onWritable. */
  private flush(): void {
    const socket = this.socket;
    while (socket && this.live && this.outbox.length && this.writableBytes > 0) {
      const head = this.outbox[0]!;
      const n = Math.min(head.length, this.writableBytes);
      let left: number | void;
      try {
        left = socket.write(n === head.length ? head : head.subarray(0, n));
      } catch (e) {
        this.options.log.warn(`socket write failed: ${String(e)}`);
        return;
      }
      this.writableBytes = typeof left === 'number' ? left : this.writableBytes - n;
      this.queued -= n;
      if (n === head.length) this.outbox.shift();
      else this.outbox[0] = head.subarray(n);
    }
  }

  private fail(failure: ConnectionFailure, detail: string, now?: number): void {
    if (!this.live) return;
    this.options.step((t) => {
      if (!this.live) return;
      this.close();
      this.events.down(failure, detail, t);
    }, now);
  }
}
