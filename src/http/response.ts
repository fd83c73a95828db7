/**
 * HTTP/1.1 response parsing (RFC 9112), sans-IO and streaming: status line, header fields, then
 * a body framed by Content-Length, by chunked transfer coding, or by the connection's close.
 * Every line, the header block and the header count are bounded; a body cut short is a named
 * error, never a short success.
 */
import { err, ok, type Result } from '../util/result.ts';

export interface HttpLimits {
  /** Longest status, header, chunk-size or trailer line (bytes, CRLF included). */
  maxLine: number;
  /** All header (and trailer) lines of one response together. */
  maxHeaderBytes: number;
  maxHeaders: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({ maxLine: 1024, maxHeaderBytes: 4096, maxHeaders: 32 });

export type HttpErrorName =
  | 'bad-status-line'
  | 'line-too-long'
  | 'headers-too-large'
  | 'too-many-headers'
  | 'bad-header'
  | 'bad-content-length'
  | 'unsupported-transfer-encoding'
  | 'bad-chunk'
  | 'truncated-response'
  | 'truncated-body'
  | 'dns-failed'
  | 'socket-failed'
  | 'connection-lost'
  | 'timeout';

export interface HttpError {
  name: HttpErrorName;
  message: string;
}

export interface ResponseHead {
  status: number;
  reason: string;
  headers: Map<string, string>;
  /** The body's length when Content-Length frames it. */
  length?: number;
  /** The server will close after this response (or the body runs to the close). */
  closes: boolean;
}

export interface ResponseSink {
  head(head: ResponseHead): void;
  body(bytes: Uint8Array): void;
  done(): void;
}

type Phase = 'status' | 'headers' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done' | 'failed';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([\x09\x20-\x7e\x80-\xff]*))?$/;
const MAX_INTERIM = 4; // 1xx responses skipped before the real one

export class ResponseParser {
  private phase: Phase = 'status';
  private line: number[] = [];
  private headerBytes = 0;
  private headers = new Map<string, string>();
  private status = 0;
  private reason = '';
  private remaining = 0; // body or chunk bytes still to come
  private interim = 0;

  constructor(
    private readonly limits: HttpLimits,
    private readonly bodyless: boolean, // HEAD: never a body whatever the headers say
  ) {}

  get finished(): boolean {
    return this.phase === 'done';
  }

  /** Bytes of body still expected when Content-Length frames it. */
  get bodyRemaining(): number | undefined {
    return this.phase === 'length' ? this.remaining : undefined;
  }

  /**
   * Consumes bytes. Returns how many were used: parsing stops at the end of the response (the
   * rest belongs to the next one). Errors are final.
   */
  push(bytes: Uint8Array, sink: ResponseSink): Result<number, HttpError> {
    let i = 0;
    while (i < bytes.length && this.phase !== 'done') {
      if (this.phase === 'failed') return this.fail('bad-header', 'response already failed');
      if (this.phase === 'length' || this.phase === 'chunk-data' || this.phase === 'until-close') {
        const n = this.phase === 'until-close' ? bytes.length - i : Math.min(this.remaining, bytes.length - i);
        sink.body(bytes.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.phase === 'length' && this.remaining === 0) this.finish(sink);
        else if (this.phase === 'chunk-data' && this.remaining === 0) this.phase = 'chunk-end';
        continue;
      }
      // Line phases: collect up to LF, bounded.
      const b = bytes[i++]!;
      this.line.push(b);
      if (this.phase === 'headers' || this.phase === 'trailers') {
        if (++this.headerBytes > this.limits.maxHeaderBytes) return this.fail('headers-too-large', `header block over ${this.limits.maxHeaderBytes} bytes`);
      }
      if (b !== 0x0a) {
        if (this.line.length > this.limits.maxLine) return this.fail('line-too-long', `a line over ${this.limits.maxLine} bytes`);
        continue;
      }
      const text = this.takeLine();
      if (text === undefined) return this.fail(this.phase === 'status' ? 'bad-status-line' : this.phase === 'headers' || this.phase === 'trailers' ? 'bad-header' : 'bad-chunk', 'line not ended by CRLF');
      const r = this.onLine(text, sink);
      if (!r.ok) return r;
    }
    return ok(i);
  }

  /** The connection closed: fine only if the body runs to the close or the response is complete. */
  end(sink: ResponseSink): HttpError | undefined {
    if (this.phase === 'done') return undefined;
    if (this.phase === 'until-close') {
      this.finish(sink);
      return undefined;
    }
    const inBody = this.phase !== 'status' && this.phase !== 'headers';
    const name = inBody ? 'truncated-body' : 'truncated-response';
    this.phase = 'failed';
    return { name, message: inBody ? 'the connection closed before the whole body arrived' : 'the connection closed before the response head' };
  }

  private takeLine(): string | undefined {
    const line = this.line;
    this.line = [];
    if (line.length < 2 || line[line.length - 2] !== 0x0d) return undefined;
    let s = '';
    for (let k = 0; k < line.length - 2; k++) s += String.fromCharCode(line[k]!);
    return s;
  }

  private onLine(text: string, sink: ResponseSink): Result<void, HttpError> {
    switch (this.phase) {
      case 'status': {
        const m = STATUS.exec(text);
        if (!m) return this.fail('bad-status-line', 'not an HTTP/1.x status line');
        this.status = Number(m[1]);
        this.reason = m[2] ?? '';
        this.phase = 'headers';
        return ok(undefined);
      }
      case 'headers':
      case 'trailers': {
        if (text === '') return this.phase === 'headers' ? this.endOfHead(sink) : ok(this.finish(sink));
        if (this.headers.size >= this.limits.maxHeaders) return this.fail('too-many-headers', `more than ${this.limits.maxHeaders} header fields`);
        const colon = text.indexOf(':');
        const name = colon > 0 ? text.slice(0, colon) : '';
        if (!TOKEN.test(name)) return this.fail('bad-header', 'a header line without a field name (or folded)');
        const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
        if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return this.fail('bad-header', 'control characters in a field value');
        if (this.phase === 'trailers') return ok(undefined); // trailers are counted and bounded, not kept
        const key = name.toLowerCase();
        const before = this.headers.get(key);
        if (key === 'content-length' && before !== undefined && before !== value) return this.fail('bad-content-length', 'two different Content-Length fields');
        this.headers.set(key, before === undefined || key === 'content-length' ? value : `${before}, ${value}`);
        return ok(undefined);
      }
      case 'chunk-size': {
        const m = /^([0-9A-Fa-f]{1,8})[ \t]*(;.*)?$/.exec(text);
        if (!m) return this.fail('bad-chunk', 'bad chunk-size line');
        this.remaining = parseInt(m[1]!, 16);
        this.phase = this.remaining === 0 ? 'trailers' : 'chunk-data';
        return ok(undefined);
      }
      case 'chunk-end':
        if (text !== '') return this.fail('bad-chunk', 'chunk data longer than its size');
        this.phase = 'chunk-size';
        return ok(undefined);
      default:
        return this.fail('bad-header', `unexpected line in phase ${this.phase}`);
    }
  }

  private endOfHead(sink: ResponseSink): Result<void, HttpError> {
    const h = this.headers;
    if (this.status < 200) {
      // 1xx: an interim response; the real one follows.
      if (++this.interim > MAX_INTERIM) return this.fail('bad-status-line', 'too many interim responses');
      this.headers = new Map();
      this.headerBytes = 0;
      this.phase = 'status';
      return ok(undefined);
    }
    const te = h.get('transfer-encoding');
    const cl = h.get('content-length');
    let length: number | undefined;
    if (te !== undefined) {
      const codings = te.toLowerCase().split(',').map((c) => c.trim());
      if (codings[codings.length - 1] !== 'chunked' || codings.length > 1) return this.fail('unsupported-transfer-encoding', 'only chunked transfer coding is supported');
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) return this.fail('bad-content-length', 'Content-Length is not a decimal number');
      length = Number(cl);
    }
    const noBody = this.bodyless || this.status === 204 || this.status === 304;
    const untilClose = !noBody && te === undefined && length === undefined;
    const closes = untilClose || (h.get('connection') ?? '').toLowerCase().split(',').some((t) => t.trim() === 'close');
    sink.head({ status: this.status, reason: this.reason, headers: h, length: noBody ? 0 : length, closes });
    if (this.phase !== 'headers') return ok(undefined); // the sink gave up on it
    if (noBody || length === 0) this.finish(sink);
    else if (te !== undefined) this.phase = 'chunk-size';
    else if (length !== undefined) [this.phase, this.remaining] = ['length', length];
    else this.phase = 'until-close';
    return ok(undefined);
  }

  private finish(sink: ResponseSink): void {
    this.phase = 'done';
    sink.done();
  }

  private fail(name: HttpErrorName, message: string): Result<never, HttpError> {
    this.phase = 'failed';
    return err({ name, message });
  }
}
