/**
 * `embedded:network/http/client` for ikelet: `new HTTPClient({host, port, socket, dns, onError})`,
 * `request({method, path, headers, headersMask, onHeaders, onReadable, onDone})` and the request's
 * `read()`, as Moddable's ECMA-419 HTTP client has them, over the TCP and DNS classes it is given
 * and the `runtime` clock. Requests run one after another on one connection (a new one when the
 * server closed the last). Requests carry no body (GET, HEAD).
 *
 * The body is pulled, not pushed: onReadable(count) says how many body bytes can be read now and
 * the app reads at its own pace; unread bytes stay in the socket (TCP's window then holds the
 * server back), which is how a caller bounds its work per turn. Every error is named; a body cut
 * short by the connection's end is 'truncated-body', never a short success.
 */
import { silentLogger, type Logger } from '../util/log.ts';
import { due, earliest } from '../util/time.ts';
import { toArrayBuffer, type ClientRuntime, type DnsOption, type SocketOption } from '../io/ecma419.ts';
import { Connection } from '../io/connection.ts';
import type { Timer } from '../platform.ts';
import { buildRequest } from './request.ts';
import { DEFAULT_HTTP_LIMITS, ResponseParser, type HttpError, type HttpLimits, type ResponseHead, type ResponseSink } from './response.ts';

export interface HttpClientOptions {
  host: string;
  port?: number;
  socket: SocketOption;
  dns?: DnsOption;
  runtime: ClientRuntime;
  limits?: Partial<HttpLimits>;
  /** No byte from the server for this long while a request waits for one: 'timeout'. */
  timeoutMs?: number;
  log?: Logger;
  onError?: (error: HttpError) => void;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  path?: string;
  headers?: Map<string, string> | [string, string][];
  /** Only these (lower-case) header names reach onHeaders. */
  headersMask?: string[];
  onHeaders?: (this: HttpRequest, status: number, headers: Map<string, string>, statusText: string) => void;
  onReadable?: (this: HttpRequest, count: number) => void;
  onDone?: (this: HttpRequest, error: HttpError | null) => void;
}

const HEAD_CHUNK = 512;

export class HttpRequest {
  /** @internal */ carry: Uint8Array[] = [];
  /** @internal */ carryBytes = 0;
  /** @internal */ finished = false;

  constructor(
    private readonly client: HTTPClient,
    /** @internal */ readonly options: RequestOptions,
    /** @internal */ readonly head: Uint8Array,
  ) {}

  /** Up to `count` body bytes (all that can be read now when omitted); undefined when none. */
  read(count?: number): ArrayBuffer | undefined {
    return this.client.readBody(this, count ?? Infinity);
  }

  /** Body bytes that read() can return now (an upper bound for a chunked body). */
  get available(): number {
    return this.client.availableFor(this);
  }
}

export class HTTPClient {
  private readonly limits: HttpLimits;
  private readonly timeoutMs: number;
  private readonly runtime: ClientRuntime;
  private readonly timer: Timer;
  private readonly log: Logger;
  private readonly queue: HttpRequest[] = [];
  private current: HttpRequest | undefined;
  private parser: ResponseParser | undefined;
  private connection: Connection | undefined;
  private socketReadable = 0;
  private lastProgressAt = 0;
  private doneDue = false;
  private reuse = false; // the connection may carry the next request
  private headSeen = false;
  private responseBytes = 0;
  private closed = false;
  private readonly sink: ResponseSink;

  constructor(private readonly options: HttpClientOptions) {
    if (typeof options.host !== 'string' || options.host === '') throw new TypeError('host required');
    if (!options.socket?.io) throw new TypeError('socket.io required');
    if (!options.runtime) throw new TypeError('runtime required');
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.runtime = options.runtime;
    this.timer = this.runtime.timer();
    this.log = options.log ?? silentLogger('http');
    this.sink = {
      head: (head) => this.onHead(head),
      body: (bytes) => {
        const req = this.current;
        if (!req) return; // closed from a callback of this same chunk
        req.carry.push(bytes.slice());
        req.carryBytes += bytes.length;
      },
      done: () => {
        this.doneDue = true;
      },
    };
  }

  request(options: RequestOptions): HttpRequest {
    if (this.closed) throw new Error('closed');
    const port = this.options.port ?? 80;
    const head = buildRequest(options.method ?? 'GET', this.options.host, port, options.path || '/', options.headers ?? []); // throws on app mistakes
    const req = new HttpRequest(this, { ...options }, head);
    this.queue.push(req);
    this.step((now) => this.next(now));
    return req;
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
    this.current = undefined;
    this.queue.length = 0;
    this.timer.schedule(undefined, () => {});
  }

  /** @internal */
  availableFor(req: HttpRequest): number {
    if (req !== this.current || req.finished) return req.carryBytes;
    const remaining = this.parser?.bodyRemaining;
    const fromSocket = remaining === undefined ? this.socketReadable : Math.min(this.socketReadable, remaining);
    return req.carryBytes + fromSocket;
  }

  /** @internal */
  readBody(req: HttpRequest, count: number): ArrayBuffer | undefined {
    let result: ArrayBuffer | undefined;
    this.step((now) => {
      const parts: Uint8Array[] = [];
      let got = 0;
      while (got < count && req.carryBytes > 0) {
        const head = req.carry[0]!;
        const n = Math.min(head.length, count - got);
        parts.push(head.subarray(0, n));
        got += n;
        req.carryBytes -= n;
        if (n === head.length) req.carry.shift();
        else req.carry[0] = head.subarray(n);
      }
      // Then from the socket, through the parser (chunk framing yields fewer body bytes than read).
      while (got < count && req === this.current && !this.doneDue && this.socketReadable > 0 && this.connection) {
        const raw = this.connection.read(Math.min(count - got, this.socketReadable, 4096));
        if (!raw) { this.socketReadable = 0; break; }
        this.socketReadable -= raw.length;
        this.lastProgressAt = now;
        if (!this.feed(raw, now)) break;
        while (req.carryBytes > 0) {
          const b = req.carry.shift()!;
          req.carryBytes -= b.length;
          parts.push(b);
          got += b.length;
        }
      }
      if (got === 0) return;
      const out = new Uint8Array(got);
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      result = toArrayBuffer(out);
    });
    return result;
  }

  // ---- the connection ----

  private next(now: number): void {
    if (this.current || this.closed) return;
    const req = this.queue.shift();
    if (!req) return;
    this.current = req;
    this.parser = new ResponseParser(this.limits, req.options.method === 'HEAD');
    this.lastProgressAt = now;
    this.doneDue = false;
    this.responseBytes = 0;
    if (!this.connection || !this.reuse) this.open();
    else this.connection.send(req.head);
  }

  private open(): void {
    this.connection?.close();
    this.socketReadable = 0;
    this.reuse = false;
    const connection: Connection = new Connection(
      { host: this.options.host, port: this.options.port ?? 80, socket: this.options.socket, dns: this.options.dns, log: this.log, step: (work, now) => this.step(work, now) },
      {
        up: () => {
          this.reuse = true;
          if (this.current) connection.send(this.current.head);
        },
        readable: (count, now) => this.readable(connection, count, now),
        writable: () => {},
        down: (failure, detail, now) => this.down(connection, failure, detail, now),
      },
    );
    this.connection = connection;
  }

  private readable(connection: Connection, count: number, now: number): void {
    if (connection !== this.connection) return;
    this.socketReadable = count;
    this.lastProgressAt = now;
    const req = this.current;
    if (!req) {
      // Bytes nobody asked for: the connection is not in a state to carry a request.
      this.reuse = false;
      return;
    }
    // The head is read eagerly (it is bounded); the body waits for the app.
    while (this.parser && !this.headSeen && this.socketReadable > 0 && req === this.current) {
      const raw = connection.read(Math.min(this.socketReadable, HEAD_CHUNK));
      if (!raw) { this.socketReadable = 0; break; }
      this.socketReadable -= raw.length;
      if (!this.feed(raw, now)) return;
    }
    if (req === this.current && this.headSeen) {
      const n = this.availableFor(req);
      if (n > 0) this.callApp('onReadable', () => req.options.onReadable?.call(req, n));
    }
  }

  /** Feeds raw bytes to the parser; false when the request ended with an error. */
  private feed(raw: Uint8Array, now: number): boolean {
    this.responseBytes += raw.length;
    const r = this.parser!.push(raw, this.sink);
    if (!r.ok) {
      this.finish(r.error, now);
      return false;
    }
    if (r.value < raw.length) this.reuse = false; // bytes beyond the response: do not trust this connection again
    return true;
  }

  private onHead(head: ResponseHead): void {
    const req = this.current!;
    this.headSeen = true;
    if (head.closes) this.reuse = false;
    const mask = req.options.headersMask;
    const headers = mask ? new Map([...head.headers].filter(([k]) => mask.includes(k))) : head.headers;
    this.callApp('onHeaders', () => req.options.onHeaders?.call(req, head.status, headers, head.reason));
  }

  private down(connection: Connection, failure: 'dns-failed' | 'socket-failed' | 'connection-lost', detail: string, now: number): void {
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.reuse = false;
    this.socketReadable = 0;
    if (!this.current || !this.parser) return;
    if (failure === 'connection-lost' && this.responseBytes > 0) {
      const error = this.parser.end(this.sink);
      if (!error) return; // the body ran to the close: done is due
      return this.finish(error, now); // truncated-response or truncated-body
    }
    const error: HttpError = { name: failure, message: detail };
    this.callApp('onError', () => this.options.onError?.(error));
    this.finish(error, now);
  }

  /** Ends the current request: onDone(error or null), then the next request. */
  private finish(error: HttpError | null, now: number): void {
    const req = this.current;
    if (!req) return;
    this.current = undefined;
    this.parser = undefined;
    this.headSeen = false;
    this.doneDue = false;
    req.finished = true;
    if (error) {
      this.log.info(`request failed: ${error.name} (${error.message})`);
      this.connection?.close();
      this.connection = undefined;
      this.reuse = false;
    } else if (!this.reuse) {
      this.connection?.close();
      this.connection = undefined;
    }
    this.callApp('onDone', () => req.options.onDone?.call(req, error));
    this.next(now);
  }

  private callApp(name: string, call: () => void): void {
    try {
      call();
    } catch (e) {
      this.log.error(`${name} threw: ${String(e)}`);
    }
  }

  private deadline(): number | undefined {
    if (!this.current) return undefined;
    // The body is complete once the app has read what the parser holds.
    const done = this.doneDue && this.current.carryBytes === 0 ? this.runtime.now() : undefined;
    const waiting = this.availableFor(this.current) === 0 ? this.lastProgressAt + this.timeoutMs : undefined;
    return earliest(done, waiting);
  }

  private onTimer(now: number): void {
    const req = this.current;
    if (!req) return;
    if (this.doneDue && req.carryBytes === 0) return this.finish(null, now);
    if (this.availableFor(req) === 0 && due(this.lastProgressAt + this.timeoutMs, now)) {
      this.finish({ name: 'timeout', message: `no data from the server for ${this.timeoutMs} ms` }, now);
    }
  }

  private step(work: (now: number) => void, now?: number): void {
    try {
      work(now ?? this.runtime.now());
    } catch (e) {
      this.log.error(`internal error: ${e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)}`);
    }
    if (this.closed) return;
    this.timer.schedule(this.deadline(), () => this.step((now) => this.onTimer(now)));
  }
}
