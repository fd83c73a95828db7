/**
 * ECMA-419 TCP socket (embedded:io/socket/tcp) over the tunnel. The shape Moddable's clients
 * (MQTT, HTTP) use: options {address | host, port, nodelay, from, format, onReadable(count),
 * onWritable(count), onError()}, read(), write(), close(), remoteAddress/remotePort.
 *
 * onWritable(count) first tells the app the connection is open; write() takes at most that many
 * bytes ('would-block' beyond) and returns what it may write next; after an error it takes nothing
 * and returns 0 without throwing (as Moddable's lwIP socket). onError(error) ends the socket:
 * error is a NetError ('refused', 'reset', 'timeout', 'tunnel-down', 'no-route', 'closed' once the
 * peer closed and every byte was read, ...). Extensions: every callback gets the agent turn's
 * `now` as its last argument; end() sends a FIN and keeps reading (half-close). A socket opened
 * while the tunnel is down waits for it (netTunnelWait).
 */
import { addressToBytes } from '../../ip/address.ts';
import { PROTO_TCP } from '../../ip/ipv4.ts';
import { NetError } from '../errors.ts';
import type { Network } from '../network.ts';
import type { TcpConnection } from '../tcp/connection.ts';
import { bytesOf, type ByteSource } from './bytes.ts';

export type TcpFormat = 'buffer' | 'number';

export interface TcpOptions {
  address?: string;
  host?: string;
  port?: number;
  from?: TcpSocket;
  nodelay?: boolean;
  format?: TcpFormat;
  onReadable?: (this: TcpSocket, count: number, now: number) => void;
  onWritable?: (this: TcpSocket, count: number, now: number) => void;
  onError?: (this: TcpSocket, error: NetError, now: number) => void;
  target?: unknown;
}

type Phase = 'waiting' | 'resolving' | 'connecting' | 'open' | 'done';

/** Listener.read() hands connections over through this key, not through app-visible options. */
export const ADOPT = Symbol('adopt');

export class TcpSocket {
  target: unknown;
  private conn: TcpConnection | undefined;
  private phase: Phase = 'waiting';
  private fmt: TcpFormat = 'buffer';
  private readonly callbacks: Pick<TcpOptions, 'onReadable' | 'onWritable' | 'onError'>;
  private readonly posted = new Set<'readable' | 'writable'>();
  private errorReported = false;
  /** onError was posted for a failure (reset, timeout, ...; not the app's own close() nor the peer's FIN).  */
  private failed = false;
  private waitReady: ((now: number) => void) | undefined;
  private remote: { address: string; port: number } | undefined;

  constructor(protected readonly network: Network, options: TcpOptions & { [ADOPT]?: TcpConnection }) {
    if (options === null || typeof options !== 'object') throw new NetError('invalid', 'TCP: options object required');
    this.target = options.target;
    this.callbacks = { onReadable: options.onReadable, onWritable: options.onWritable, onError: options.onError };
    if (options.format !== undefined) this.format = options.format;
    const adopted = options[ADOPT] ?? options.from?.detach();
    if (options.from && !adopted) throw new NetError('invalid', 'TCP: from holds no connection');
    if (adopted) {
      this.attach(adopted, options.nodelay);
      this.phase = 'open';
      network.run(() => {
        if (adopted.readable > 0) this.postReadable();
        if (adopted.writable > 0) this.postWritable();
        if (adopted.closedForGood || adopted.peerFinished) this.maybeEnd();
      });
      return;
    }
    const port = options.port;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 0xffff) throw new NetError('invalid', `TCP: bad port ${String(port)}`);
    const address = options.address ?? (options.host !== undefined && addressToBytes(options.host) ? options.host : undefined);
    if (address !== undefined && !addressToBytes(address)) throw new NetError('invalid', `TCP: not an IPv4 address: ${address}`);
    if (address === undefined && typeof options.host !== 'string') throw new NetError('invalid', 'TCP: address or host required');
    const nodelay = options.nodelay === true;
    network.run((now) => {
      const start = (t: number) => (address !== undefined ? this.connect(address, port as number, nodelay, t) : this.resolveThenConnect(options.host as string, port as number, nodelay, t));
      if (network.up) return start(now);
      this.waitReady = start;
      network.waitForTunnel({ ready: start, fail: (e) => this.fail(e) }, now);
    });
  }

  get remoteAddress(): string | undefined {
    return this.conn?.id.remoteAddress ?? this.remote?.address;
  }

  get remotePort(): number | undefined {
    return this.conn?.id.remotePort ?? this.remote?.port;
  }

  get format(): TcpFormat {
    return this.fmt;
  }

  set format(value: TcpFormat) {
    if (value !== 'buffer' && value !== 'number') throw new NetError('invalid', `TCP: format must be "buffer" or "number", not ${String(value)}`);
    this.fmt = value;
  }

  /**
   * "buffer": no argument = every available byte, a count = up to that many (an ArrayBuffer, or
   * undefined when none), a buffer = filled from the front (returns the count). "number": one byte.
   */
  read(arg?: number | ArrayBuffer | ArrayBufferView): ArrayBuffer | number | undefined {
    const conn = this.conn;
    if (!conn || conn.readable === 0) return undefined;
    if (typeof arg === 'number' && (!Number.isInteger(arg) || arg <= 0)) throw new NetError('invalid', `TCP read: bad count ${arg}`);
    const target = arg === undefined || typeof arg === 'number' ? undefined : bytesOf(arg);
    if (arg !== undefined && typeof arg !== 'number' && !target) throw new NetError('invalid', 'TCP read: expected a count or a buffer');
    return this.network.run((now) => {
      const max = this.fmt === 'number' ? 1 : target ? target.length : arg === undefined ? conn.readable : (arg as number);
      const got = conn.read(max, now);
      this.maybeEnd();
      if (this.fmt === 'number') return got[0];
      if (!target) return toArrayBuffer(got);
      target.set(got);
      return got.length;
    });
  }

  /**
   * Queues bytes (a buffer, or one byte in "number" format); returns the bytes write() takes next.
   * Every write waits for the end of the turn, so `{more: true}` (the SDK clients' "more follows")
   * is what happens anyway: a header, topic and payload written in one turn leave as one segment.
   */
  write(data: ByteSource | number, _options?: unknown): number {
    const conn = this.conn;
    // As Moddable's lwIP socket: after an error (onError told the app) a write is dropped without a
    // word. The SDK's HTTP client writes its next queued request from its error path; a throw there
    // would escape it and strand every request it still holds.
    if (this.failed) return 0;
    if (this.phase !== 'open' || !conn) throw new NetError('not-ready', 'TCP write: the connection is not open');
    const bytes = typeof data === 'number' ? Uint8Array.of(data & 0xff) : bytesOf(data);
    if (!bytes) throw new NetError('invalid', 'TCP write: expected an ArrayBuffer, a typed array or a byte');
    return this.network.run((now) => {
      if (bytes.length > conn.writable) throw new NetError('would-block', `TCP write: ${bytes.length} bytes, room for ${conn.writable}`);
      conn.write(bytes, now, true);
      return conn.writable;
    });
  }

  /** Extension (half-close): a FIN after the queued data; reading goes on until the peer closes. */
  end(): void {
    const conn = this.conn;
    if (!conn) return;
    this.network.run((now) => conn.shutdown(now));
  }

  close(): void {
    if (this.phase === 'done' && !this.conn) return;
    this.phase = 'done';
    this.errorReported = true;
    const conn = this.conn;
    this.conn = undefined;
    const ready = this.waitReady;
    this.network.run((now) => {
      if (ready) this.network.cancelWait(ready);
      conn?.close(now);
    });
  }

  /** Hands the connection to a new socket (`new TCP({from})`); this one is closed. */
  private detach(): TcpConnection | undefined {
    const conn = this.conn;
    this.conn = undefined;
    this.phase = 'done';
    this.errorReported = true;
    if (conn) conn.events = undefined;
    return conn;
  }

  // ---- internals -------------------------------------------------------------------------

  private resolveThenConnect(host: string, port: number, nodelay: boolean, now: number): void {
    this.phase = 'resolving';
    this.network.dns.lookup(host, now, (result, t) => {
      if (this.phase !== 'resolving') return;
      if ('error' in result) return this.fail(new NetError('dns', `${host}: ${result.error}`));
      this.network.within(t, () => this.connect(result.addresses[0]!, port, nodelay, t));
    });
  }

  private connect(address: string, port: number, nodelay: boolean, now: number): void {
    this.waitReady = undefined;
    if (this.phase === 'done') return;
    this.remote = { address, port };
    const route = this.network.routeError(address, PROTO_TCP, port);
    if (route) return this.fail(route);
    let conn: TcpConnection;
    try {
      conn = this.network.tcp.connect(addressToBytes(address)!, port, now);
    } catch (e) {
      return this.fail(e instanceof NetError ? e : new NetError('invalid', String(e)));
    }
    this.phase = 'connecting';
    this.attach(conn, nodelay);
  }

  private attach(conn: TcpConnection, nodelay: boolean | undefined): void {
    this.conn = conn;
    conn.nodelay = nodelay === true;
    conn.events = {
      established: () => {
        this.phase = 'open';
        this.postWritable();
      },
      readable: () => this.postReadable(),
      writable: () => this.postWritable(),
      peerFinished: () => this.maybeEnd(),
      closed: (error) => (error ? this.fail(error) : this.maybeEnd()),
    };
  }

  private postReadable(): void {
    this.postOnce('readable', (now) => {
      const n = this.conn?.readable ?? 0;
      if (n > 0 && this.callbacks.onReadable) this.callbacks.onReadable.call(this, n, now);
      this.maybeEnd();
    });
  }

  private postWritable(): void {
    this.postOnce('writable', (now) => {
      const n = this.conn?.writable ?? 0;
      if (this.phase === 'open' && n > 0 && this.callbacks.onWritable) this.callbacks.onWritable.call(this, n, now);
    });
  }

  /** One pending callback of each kind: it reports the counts as they are when it runs. */
  private postOnce(kind: 'readable' | 'writable', callback: (now: number) => void): void {
    if (this.posted.has(kind)) return;
    this.posted.add(kind);
    this.network.post((now) => {
      this.posted.delete(kind);
      callback(now);
    });
  }

  /** The peer closed and every byte was read: the socket ends with 'closed'. */
  private maybeEnd(): void {
    const conn = this.conn;
    if (!conn || conn.readable > 0 || !(conn.peerFinished || conn.closedForGood)) return;
    this.fail(new NetError('closed', `${conn.describe()}: closed by the peer`));
  }

  private fail(error: NetError): void {
    if (this.errorReported) return;
    this.errorReported = true;
    // 'closed' (the peer finished): our side may still send (half-close), so writes go on.
    if (error.code !== 'closed') {
      this.failed = true;
      this.phase = 'done';
    }
    this.network.post((now) => this.callbacks.onError?.call(this, error, now));
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer | undefined {
  if (bytes.length === 0) return undefined;
  return bytes.buffer.byteLength === bytes.length ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}
