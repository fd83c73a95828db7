/** The ECMA-419 HTTP client over fake sockets and a scripted server: framing, limits, named errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HTTPClient, type HttpClientOptions, type RequestOptions } from '../../src/http/client.ts';
import type { HttpError } from '../../src/http/response.ts';
import { statusError } from '../../src/http/status.ts';
import { FakeClock, FakeNetwork, type ServerConnection } from './fake-ecma419.ts';

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

interface Result { status?: number; statusText?: string; headers?: Map<string, string>; body: string; error?: HttpError | null; done: boolean }

/** A server that answers each request (head as text) with what `respond` returns; 'close' closes after. */
function rig(respond: (request: string, conn: ServerConnection, index: number) => void, options: Partial<HttpClientOptions> = {}) {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  net.names.set('fw.lab.example', '198.51.100.30');
  const requests: string[] = [];
  const connections: ServerConnection[] = [];
  net.listen('198.51.100.30', 80, (conn) => {
    connections.push(conn);
    let buffer = '';
    conn.onData = (b) => {
      buffer += latin1(b);
      for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
        const head = buffer.slice(0, end + 4);
        buffer = buffer.slice(end + 4);
        requests.push(head);
        respond(head, conn, requests.length - 1);
      }
    };
  });
  const errors: HttpError[] = [];
  const client = new HTTPClient({ host: 'fw.lab.example', socket: { io: net.TCP }, dns: { io: net.Resolver }, runtime: clock.runtime(), onError: (e) => errors.push(e), ...options });
  const get = (extra: Partial<RequestOptions> = {}, readSize?: number): Result => {
    const r: Result = { body: '', done: false };
    client.request({
      path: '/fw/image.bin',
      onHeaders(status, headers, statusText) { Object.assign(r, { status, headers, statusText }); },
      onReadable(count) {
        const chunk = this.read(readSize ?? count);
        if (chunk) r.body += latin1(new Uint8Array(chunk));
      },
      onDone(error) { r.error = error; r.done = true; },
      ...extra,
    });
    return r;
  };
  return { clock, net, client, requests, connections, errors, get };
}

const ok = (body: string, extra = '') => bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`);

test('GET: request line, Host first, the caller\'s Range; status, headers and a Content-Length body', () => {
  const { requests, get, clock } = rig((_, conn) => conn.write(ok('hello firmware', 'Content-Type: application/octet-stream\r\nX-Extra:  padded  \r\n')));
  const r = get({ headers: new Map([['Range', 'bytes=0-13']]) });
  clock.settle();
  assert.equal(requests[0], 'GET /fw/image.bin HTTP/1.1\r\nhost: fw.lab.example\r\nRange: bytes=0-13\r\n\r\n');
  assert.equal(r.status, 200);
  assert.equal(r.statusText, 'OK');
  assert.equal(r.headers!.get('content-type'), 'application/octet-stream');
  assert.equal(r.headers!.get('x-extra'), 'padded');
  assert.equal(r.body, 'hello firmware');
  assert.equal(r.error, null);
});

test('chunked bodies (with extensions and trailers) and bodies that run to the close', () => {
  const { get, clock } = rig((_, conn, i) => {
    if (i === 0) conn.write(bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\nfirmware!!\r\n0\r\nX-Trailer: t\r\n\r\n'));
    else {
      conn.write(bytes('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the '));
      conn.write(bytes('end'));
      conn.close();
    }
  });
  const a = get();
  clock.settle();
  assert.deepEqual([a.body, a.error], ['hello firmware!!', null]);
  const b = get();
  clock.settle();
  assert.deepEqual([b.body, b.error], ['until the end', null]);
});

test('one connection carries several requests; Connection: close makes the next one open a new connection', () => {
  const { get, clock, connections } = rig((_, conn, i) => conn.write(ok(`r${i}`, i === 1 ? 'Connection: close\r\n' : '')));
  const results = [get(), get(), get()];
  clock.settle();
  assert.deepEqual(results.map((r) => [r.body, r.error]), [['r0', null], ['r1', null], ['r2', null]]);
  assert.equal(connections.length, 2);
});

test('206 Partial Content with Content-Range; HEAD has no body; 1xx interim responses are skipped', () => {
  const { get, clock } = rig((req, conn) => {
    if (req.startsWith('HEAD')) conn.write(bytes('HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n'));
    else conn.write(bytes('HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-13/100\r\nContent-Length: 4\r\n\r\nabcd'));
  });
  const part = get({ headers: [['Range', 'bytes=10-13']] });
  clock.settle();
  assert.deepEqual([part.status, part.headers!.get('content-range'), part.body], [206, 'bytes 10-13/100', 'abcd']);
  const head = get({ method: 'HEAD' });
  clock.settle();
  assert.deepEqual([head.status, head.headers!.get('content-length'), head.body, head.error], [200, '1048576', '', null]);
});

test('the body is pulled: reading 100 bytes per turn leaves the rest in the socket until asked for', () => {
  const body = 'x'.repeat(1000);
  const { get, clock, client } = rig((_, conn) => conn.write(ok(body)));
  let readable = 0;
  const r: Result = { body: '', done: false };
  const req = client.request({
    path: '/',
    onReadable(count) { readable = count; const c = this.read(100); if (c) r.body += latin1(new Uint8Array(c)); },
    onDone(error) { r.error = error; r.done = true; },
  });
  clock.settle();
  assert.equal(readable, 1000);
  assert.equal(r.body.length, 100);
  assert.equal(req.available, 900);
  assert.equal(r.done, false);
  while (req.available > 0) r.body += latin1(new Uint8Array(req.read(300)!));
  clock.settle();
  assert.deepEqual([r.body, r.error], [body, null]);
  get();
});

test('a body cut short by the connection is truncated-body (Content-Length and chunked), never a short success', () => {
  const { get, clock } = rig((_, conn, i) => {
    conn.write(bytes(i === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly fifty bytes of a hundred...' : 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabcdefgh'));
    conn.close();
  });
  const a = get();
  clock.settle();
  assert.equal(a.error?.name, 'truncated-body');
  assert.equal(a.body, 'only fifty bytes of a hundred...', 'what came is still delivered');
  const b = get();
  clock.settle();
  assert.equal(b.error?.name, 'truncated-body');
});

test('endless headers are cut off at the configured count or size, with bounded memory', () => {
  for (const [limits, name] of [[{ maxHeaders: 8, maxHeaderBytes: 1 << 20 }, 'too-many-headers'], [{ maxHeaders: 1000, maxHeaderBytes: 2048 }, 'headers-too-large']] as const) {
    let sent = 0;
    const { get, clock, connections } = rig((_, conn) => {
      conn.write(bytes('HTTP/1.1 200 OK\r\n'));
      const more = () => {
        if (conn.closed || sent > 5_000_000) return;
        conn.write(bytes(`X-Endless-${sent}: ${'v'.repeat(60)}\r\n`));
        sent += 80;
        clock.defer(more);
      };
      more();
    }, { limits });
    const r = get();
    clock.settle();
    assert.equal(r.error?.name, name);
    assert.ok(connections[0]!.closed, 'the client closed the connection');
    assert.ok(sent < 200_000, `stopped early (${sent} bytes sent)`);
  }
});

test('hostile heads: long line, bad status line, bad Content-Length, unknown transfer coding, bad chunk size, folded header', () => {
  const cases: [string, string][] = [
    [`HTTP/1.1 200 ${'O'.repeat(3000)}\r\n\r\n`, 'line-too-long'],
    ['ICY 200 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 20 OK\r\n\r\n', 'bad-status-line'],
    ['HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n', 'bad-content-length'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 'bad-content-length'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', 'unsupported-transfer-encoding'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'bad-chunk'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n', 'bad-chunk'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', 'bad-chunk'],
    ['HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n', 'bad-header'],
    ['HTTP/1.1 200 OK\nA: b\n\n', 'bad-status-line'],
  ];
  for (const [response, name] of cases) {
    const { get, clock } = rig((_, conn) => conn.write(bytes(response)), { limits: { maxLine: 1024 } });
    const r = get();
    clock.settle();
    assert.equal(r.error?.name, name, JSON.stringify(response.slice(0, 60)));
  }
});

test('no answer: timeout; no name: dns-failed; nobody listening: connection-lost — each through onDone and onError', () => {
  const silent = rig(() => {}, { timeoutMs: 10_000 });
  const a = silent.get();
  silent.clock.advance(9_000);
  assert.equal(a.done, false);
  silent.clock.advance(2_000);
  assert.equal(a.error?.name, 'timeout');

  const noName = rig(() => {});
  noName.net.names.clear();
  const b = noName.get();
  noName.clock.settle();
  assert.equal(b.error?.name, 'dns-failed');
  assert.equal(noName.errors[0]?.name, 'dns-failed');

  const refused = rig(() => {});
  refused.net.endpoints.clear();
  const c = refused.get();
  refused.clock.settle();
  assert.equal(c.error?.name, 'connection-lost');
});

test('status codes as named errors', () => {
  assert.deepEqual([404, 416, 401, 403, 400, 418, 500, 502, 503, 302, 600].map(statusError), [
    'not-found', 'range-not-satisfiable', 'unauthorized', 'forbidden', 'bad-request', 'client-error', 'server-error', 'server-error', 'service-unavailable', 'redirect-not-followed', 'unexpected-status',
  ]);
});

test('app mistakes throw: CR/LF in a header value, a relative path', () => {
  const { client } = rig(() => {});
  assert.throws(() => client.request({ path: '/', headers: [['X', 'a\r\nInjected: 1']] }), RangeError);
  assert.throws(() => client.request({ path: 'relative' }), RangeError);
});

test('headersMask keeps only the named headers', () => {
  const { get, clock } = rig((_, conn) => conn.write(ok('x', 'ETag: "1"\r\nServer: s\r\n')));
  const r = get({ headersMask: ['etag'] });
  clock.settle();
  assert.deepEqual([...r.headers!.keys()], ['etag']);
});
