/**
 * HTTP/1.1: the ResponseParser on responses as servers write them (Content-Length, chunked with
 * extensions and trailers, until-close, interim 1xx, HEAD, 204/304), mutated in the status line,
 * the header names and values, the framing headers and the chunk sizes, and cut anywhere; and the
 * HTTPClient over the fake network against a server answering so, with requests queued and bodies
 * read at the app's pace. Every request ends exactly once; clean responses arrive intact.
 */
import { HTTPClient, type HttpRequest } from '../../../src/http/client.ts';
import { DEFAULT_HTTP_LIMITS, ResponseParser, type HttpError, type HttpLimits, type ResponseSink } from '../../../src/http/response.ts';
import { concatBytes, equalBytes, latin1 } from '../../../src/util/bytes.ts';
import { FakeClock, FakeNetwork, type ServerConnection } from '../../unit/fake-ecma419.ts';
import { ascii, hex, mutate, noise, pieces } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { forgetHistory, internalErrorLog } from './harness.ts';

const ERROR_NAMES = new Set([
  'bad-status-line', 'line-too-long', 'headers-too-large', 'too-many-headers', 'bad-header', 'bad-content-length',
  'unsupported-transfer-encoding', 'bad-chunk', 'truncated-response', 'truncated-body', 'dns-failed', 'socket-failed', 'connection-lost', 'timeout',
]);

interface Built {
  bytes: Uint8Array;
  /** The body a client must see (undefined: none is expected, e.g. a HEAD answer). */
  body: Uint8Array;
  /** The body runs to the close of the connection. */
  untilClose: boolean;
}

/** A response as a server writes it. `head`: the request was HEAD; `plain`: no headers beyond the framing ones. */
function buildResponse(rand: Rand, head: boolean, plain = false): Built {
  const bodyLength = rand.chance(0.05) ? rand.int(6000) : rand.int(300);
  const status = rand.weighted([[6, 200], [2, 206], [1, 204], [1, 304], [1, 404], [0.5, 500]] as const);
  const noBody = head || status === 204 || status === 304;
  const body = noBody ? new Uint8Array(0) : rand.bytes(bodyLength);
  const framing = noBody ? 'length' : rand.weighted([[5, 'length'], [4, 'chunked'], [1, 'close']] as const);
  let text = '';
  for (let i = rand.chance(0.1) ? 1 + rand.int(2) : 0; i > 0; i--) text += 'HTTP/1.1 100 Continue\r\n\r\n';
  text += `HTTP/1.${rand.chance(0.9) ? 1 : 0} ${status} ${rand.pick(['OK', 'Partial Content', 'Not Found', '', 'Ünïcode'])}\r\n`;
  const headers: string[] = [];
  if (framing === 'length') headers.push(`Content-Length: ${head ? bodyLength : body.length}`);
  if (framing === 'chunked') headers.push('Transfer-Encoding: chunked');
  if (rand.chance(0.3)) headers.push(`Connection: ${rand.pick(['close', 'keep-alive', 'Keep-Alive, close'])}`);
  for (let i = plain ? 0 : rand.int(6); i > 0; i--) headers.push(`${rand.pick(['Server', 'ETag', 'X-Thing', 'Content-Type', 'Date', 'Set-Cookie'])}:${rand.pick([' ', '', '\t'])}${rand.pick(['ikelet', '"abc"', 'x'.repeat(rand.int(200)), 'a, b'])}`);
  for (let i = headers.length - 1; i > 0; i--) {
    const j = rand.int(i + 1);
    [headers[i], headers[j]] = [headers[j]!, headers[i]!];
  }
  text += `${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
  const parts = [ascii(text)];
  if (framing === 'chunked') {
    for (let at = 0; at < body.length; ) {
      const n = Math.min(body.length - at, 1 + rand.int(rand.chance(0.5) ? 16 : 2000));
      parts.push(ascii(`${n.toString(16)}${rand.chance(0.1) ? ';ext=1' : ''}\r\n`), body.subarray(at, at + n), ascii('\r\n'));
      at += n;
    }
    parts.push(ascii(`0\r\n${rand.chance(0.2) ? 'Trailer-Field: 1\r\n' : ''}\r\n`));
  } else if (!noBody) parts.push(body);
  return { bytes: concatBytes(...parts), body, untilClose: framing === 'close' };
}

function spoil(rand: Rand, bytes: Uint8Array): Uint8Array {
  if (rand.chance(0.3)) {
    // Text-level: framing headers and numbers that lie, lines without CR, folded lines.
    const t = latin1(bytes);
    const edits: (() => string)[] = [
      () => t.replace(/Content-Length: \d+/, `Content-Length: ${rand.pick(['-1', '1e3', '99999999999999999', '', '12 34', String(rand.int(10_000))])}`),
      () => t.replace('\r\n\r\n', `\r\nContent-Length: ${rand.int(50)}\r\nContent-Length: ${rand.int(50)}\r\n\r\n`),
      () => t.replace('Transfer-Encoding: chunked', `Transfer-Encoding: ${rand.pick(['gzip, chunked', 'chunked, gzip', 'identity', 'CHUNKED'])}`),
      () => t.replace(/\r\n([0-9a-f]+)\r\n/, `\r\n${rand.pick(['ffffffff', '100000000', '-1', 'zz', ' 5', '5 ;x'])}\r\n`),
      () => t.replace(/\r\n/g, () => (rand.chance(0.1) ? '\n' : '\r\n')),
      () => t.replace('\r\n', `\r\n ${'folded'}\r\n`),
      () => t.replace(/^HTTP\/1\.1 \d+/, rand.pick(['HTTP/2 200', 'HTTP/1.1 99', 'HTTP/1.1 2000', 'ICY 200', 'HTTP/1.1 200'])),
    ];
    return ascii(rand.pick(edits)());
  }
  return mutate(rand, bytes, { maxEdits: 4 });
}

interface ParserInput {
  chunks: Uint8Array[];
  limits: HttpLimits;
  head: boolean;
  /** Unspoiled: exactly this body, then done. */
  clean?: Built;
  /** The connection closes after the bytes. */
  close: boolean;
  outcome?: string;
}

export const httpResponse = fuzzTarget<undefined, ParserInput>({
  name: 'http-response',
  about: 'ResponseParser on mutated responses (status, headers, Content-Length, chunked sizes, 1xx, HEAD, until close) cut anywhere; limits hold, clean bodies arrive exactly, done once',
  episode: 1_000_000,
  setup: () => undefined,
  make(rand) {
    const head = rand.chance(0.1);
    const limits = rand.chance(0.5) ? DEFAULT_HTTP_LIMITS : { maxLine: rand.pick([64, 128, 1024]), maxHeaderBytes: rand.pick([256, 512, 4096]), maxHeaders: rand.pick([4, 8, 32]) };
    const built = buildResponse(rand, head);
    const clean = rand.chance(0.3) && limits === DEFAULT_HTTP_LIMITS;
    const bytes = clean ? built.bytes : rand.chance(0.05) ? noise(rand, 400, [0x0d, 0x0a, 0x3a, 0x20]) : spoil(rand, built.bytes);
    return { chunks: pieces(rand, bytes, 8), limits, head, clean: clean ? built : undefined, close: built.untilClose || rand.chance(0.3) };
  },
  feed(_s, input) {
    const parser = new ResponseParser(input.limits, input.head);
    const body: Uint8Array[] = [];
    let dones = 0;
    let headerBytes = 0;
    let headers = 0;
    const sink: ResponseSink = {
      head: (h) => {
        for (const [k, v] of h.headers) headerBytes += k.length + v.length;
        headers = h.headers.size;
      },
      body: (b) => body.push(b.slice()),
      done: () => dones++,
    };
    let error: HttpError | undefined;
    let total = 0;
    for (const c of input.chunks) {
      total += c.length;
      const r = parser.push(c, sink);
      if (!r.ok) {
        error = r.error;
        break;
      }
      if (r.value < c.length) break; // the rest belongs to the next response
    }
    if (!error && input.close && !parser.finished) error = parser.end(sink);
    const got = concatBytes(...body);
    violated(dones <= 1, `done ${dones} times`);
    violated(headerBytes <= input.limits.maxHeaderBytes && headers <= input.limits.maxHeaders, `${headers} headers of ${headerBytes} bytes kept`);
    violated(got.length <= total, 'more body than bytes received');
    if (error) violated(ERROR_NAMES.has(error.name), `unknown error ${error.name}`);
    input.outcome = error ? error.name : dones ? 'done' : 'incomplete';
    if (input.clean) {
      violated(!error && dones === 1, `a clean response ended ${input.outcome}`);
      violated(equalBytes(got, input.clean.body), 'a clean body changed');
    }
  },
  label: (_s, i) => (i.clean ? `clean ${i.outcome}` : i.outcome ?? ''),
  show: (i) => `${i.head ? 'HEAD, ' : ''}limits ${JSON.stringify(i.limits)}${i.close ? ', then close' : ''}: ${i.chunks.map((c) => hex(c, 1024)).join(' | ')}`,
});

// ---- the client ----

interface Pending {
  request: HttpRequest;
  head: boolean;
  dones: number;
  status?: number;
  error?: HttpError | null;
  body: Uint8Array[];
  /** Read the body as it comes (else only on some turns: the app's pace). */
  eager: boolean;
}

interface ClientState {
  clock: FakeClock;
  net: FakeNetwork;
  client: HTTPClient;
  server: ServerConnection | undefined;
  /** Requests the server has read and not answered yet (HEAD or not). */
  asked: boolean[];
  requests: Pending[];
  internalErrors: string[];
  rand: Rand;
}

interface ClientInput {
  advance: number;
  /** Response bytes the server writes now. */
  bytes: Uint8Array[];
  close: boolean;
  request?: 'GET' | 'HEAD';
  readAll: boolean;
  from: string;
}

const SERVER = '198.51.100.30';

function clientInput(rand: Rand, s: ClientState, hostile: boolean): ClientInput {
  const advance = rand.weighted([[4, 0], [5, rand.int(3000)], [1, rand.int(40_000)]] as const);
  const parts: Uint8Array[] = [];
  let close = false;
  let from = 'quiet';
  if (s.asked.length && (!hostile || rand.chance(0.8))) {
    const head = s.asked.shift()!;
    const built = buildResponse(rand, head);
    const bytes = hostile && rand.chance(0.4) ? spoil(rand, built.bytes) : built.bytes;
    parts.push(...pieces(rand, bytes, 3));
    close = built.untilClose || (hostile && rand.chance(0.1));
    from = bytes === built.bytes ? 'a response' : 'a spoiled response';
  } else if (hostile && rand.chance(0.05)) {
    parts.push(noise(rand, 100));
    from = 'noise';
  }
  if (hostile && rand.chance(0.02)) close = true;
  const open = s.requests.filter((r) => r.dones === 0).length;
  const request = open < 3 && rand.chance(0.2) ? (rand.chance(0.15) ? 'HEAD' : 'GET') : undefined;
  return { advance, bytes: parts, close, request, readAll: !hostile || rand.chance(0.5), from };
}

function feedClient(s: ClientState, input: ClientInput): void {
  if (input.request) {
    const p: Pending = { request: undefined as unknown as HttpRequest, head: input.request === 'HEAD', dones: 0, body: [], eager: s.rand.chance(0.7) };
    p.request = s.client.request({
      method: input.request, path: '/fw.bin',
      onHeaders: (status) => void (p.status = status),
      onReadable() {
        if (p.eager) for (let b = this.read(); b; b = this.read()) p.body.push(new Uint8Array(b));
      },
      onDone: (error) => {
        p.dones++;
        p.error = error;
      },
    });
    s.requests.push(p);
  }
  if (input.readAll) for (const p of s.requests) for (let b = p.request.read(); b; b = p.request.read()) p.body.push(new Uint8Array(b));
  const server = s.server;
  if (server && !server.closed) {
    for (const b of input.bytes) server.write(b);
    if (input.close) server.close();
  }
  s.clock.advance(input.advance);
}

export const httpClient = fuzzTarget<ClientState, ClientInput>({
  name: 'http-client',
  about: 'HTTPClient against a server whose responses are mutated, cut, withheld or noise, requests queued, bodies read at the app\'s pace; each request ends once with a named error or its response, and a clean server serves again',
  episode: 1_000,
  retainedLimit: 64 * 1024,
  setup(rand) {
    const clock = new FakeClock();
    const net = new FakeNetwork(clock);
    const s: ClientState = { clock, net, client: undefined as unknown as HTTPClient, server: undefined, asked: [], requests: [], internalErrors: [], rand };
    net.listen(SERVER, 80, (conn) => {
      s.server = conn;
      s.asked = [];
      let text = '';
      conn.onData = (b) => {
        conn.received.length = 0;
        text += latin1(b);
        for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n')) {
          s.asked.push(text.startsWith('HEAD '));
          text = text.slice(end + 4);
        }
      };
    });
    const log = internalErrorLog('http', s.internalErrors);
    s.client = new HTTPClient({ host: SERVER, socket: { io: net.TCP }, runtime: clock.runtime(), timeoutMs: 10_000, log, limits: rand.chance(0.5) ? {} : { maxHeaderBytes: 512, maxHeaders: 8 } });
    return s;
  },
  make: (rand, s) => clientInput(rand, s, true),
  feed: feedClient,
  check(s) {
    violated(s.internalErrors.length === 0, `the client caught an exception of its own: ${s.internalErrors[0]?.split('\n').slice(0, 4).join(' ')}`);
    for (const p of s.requests) {
      violated(p.dones <= 1, `a request ended ${p.dones} times`);
      if (p.error) violated(ERROR_NAMES.has(p.error.name), `unknown error ${p.error.name}`);
    }
    s.requests = s.requests.filter((p, i) => p.dones === 0 || i >= s.requests.length - 8); // ended ones kept a while: a second end shows
    forgetHistory(s.net);
  },
  end(s) {
    // The server behaves from now on: every waiting request ends, then a new one gets its body intact.
    for (let i = 0; i < 300 && s.requests.some((p) => p.dones === 0); i++) feedClient(s, clientInput(s.rand, s, false));
    violated(s.requests.every((p) => p.dones === 1), 'requests still waiting after the server behaved for a while');
    const p: Pending = { request: undefined as unknown as HttpRequest, head: false, dones: 0, body: [], eager: true };
    let expected: Uint8Array | undefined;
    p.request = s.client.request({ path: '/last', onDone: (e) => ((p.dones++), (p.error = e)), onHeaders: (status) => void (p.status = status) });
    for (let i = 0; i < 300 && p.dones === 0; i++) {
      const input: ClientInput = { advance: 100, bytes: [], close: false, readAll: true, from: 'clean' };
      if (s.asked.length) {
        s.asked.shift();
        const built = buildResponse(s.rand, false, true);
        expected = built.body;
        input.bytes = [built.bytes];
        input.close = built.untilClose;
      }
      feedClient(s, input);
      for (let b = p.request.read(); b; b = p.request.read()) p.body.push(new Uint8Array(b));
    }
    violated(p.dones === 1 && p.error === null && expected !== undefined && equalBytes(concatBytes(...p.body), expected), `a clean response after the noise: ${p.dones} ends, ${JSON.stringify(p.error)}`);
    s.client.close();
  },
  retained: (s) => s.client,
  retainedSkip: (s) => [s.clock, s.net, ...s.net.sockets, ...(s.server ? [s.server] : [])],
  label: (_s, i) => i.from,
  show: (i) => `+${i.advance} ms${i.request ? `, app ${i.request}` : ''}${i.close ? ', server closes' : ''}: ${i.bytes.map((b) => hex(b, 512)).join(' | ')}`,
});
