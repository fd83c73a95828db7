/**
 * Two TcpLayers talking through an in-process channel that loses, duplicates, reorders and
 * delays segments (virtual time, seeded): bulk data both ways arrives byte-exact, the closing
 * handshake completes, and retransmission recovers from every loss pattern.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TcpConnection } from '../../src/net/tcp/connection.ts';
import { TcpLayer } from '../../src/net/tcp/layer.ts';
import { silentLogger } from '../../src/util/log.ts';
import { DEVICE_BYTES, PEER_BYTES, pattern, seededRandom, settings } from './tcp-rig.ts';
import type { NET_DEFAULTS } from '../../src/net/config.ts';

interface Flight {
  at: number;
  to: 'a' | 'b';
  src: Uint8Array;
  dst: Uint8Array;
  bytes: Uint8Array;
}

interface ChannelOptions {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  delayMs?: number;
  /** Bytes per ms of the link (serialization), 0 = unlimited. */
  rate?: number;
  seed?: number;
}

function channel(options: ChannelOptions, overrides: Partial<typeof NET_DEFAULTS> = {}) {
  const random = seededRandom(options.seed ?? 1);
  const flights: Flight[] = [];
  let now = 0;
  const busyUntil = { a: 0, b: 0 };
  const send = (from: 'a' | 'b') => (dst: Uint8Array, bytes: Uint8Array) => {
    if (random.next() < (options.loss ?? 0)) return true;
    const to = from === 'a' ? 'b' : 'a';
    const src = from === 'a' ? DEVICE_BYTES : PEER_BYTES;
    const start = Math.max(now, busyUntil[from]);
    const serial = options.rate ? bytes.length / options.rate : 0;
    busyUntil[from] = start + serial;
    let at = start + serial + (options.delayMs ?? 20);
    if (random.next() < (options.reorder ?? 0)) at += 5 + random.next() * 50;
    flights.push({ at, to, src, dst, bytes: bytes.slice() });
    if (random.next() < (options.duplicate ?? 0)) flights.push({ at: at + 3, to, src, dst, bytes: bytes.slice() });
    return true;
  };
  const make = (me: 'a' | 'b', seed: number) =>
    new TcpLayer({ ...settings(overrides) }, { random: seededRandom(seed), log: silentLogger('tcp') }, {
      localAddress: () => (me === 'a' ? DEVICE_BYTES : PEER_BYTES),
      send: send(me),
      pathMss: () => 1398,
      linkRoom: () => true,
    });
  const a = make('a', 11);
  const b = make('b', 12);
  const step = (): boolean => {
    flights.sort((x, y) => x.at - y.at);
    const next = Math.min(flights[0]?.at ?? Infinity, a.deadline() ?? Infinity, b.deadline() ?? Infinity);
    if (next === Infinity) return false;
    now = Math.max(now, next);
    while (flights.length && flights[0]!.at <= now) {
      const f = flights.shift()!;
      const layer = f.to === 'a' ? a : b;
      layer.beginTurn();
      layer.input(f.src, f.dst, f.bytes, now);
    }
    for (const l of [a, b]) {
      const at = l.deadline();
      if (at !== undefined && at <= now) {
        l.beginTurn();
        l.onTimer(now);
      }
    }
    return true;
  };
  return { a, b, step, get now() { return now; } };
}

/** Pumps `size` bytes from `from` into `to` (each side also reads what arrives) until both are done. */
function transfer(c: ReturnType<typeof channel>, size: number, limitMs = 10 * 60_000) {
  let server: TcpConnection | undefined;
  const listener = c.b.listen(8, () => {});
  const client = c.a.connect(PEER_BYTES, 8, c.now);
  const data = pattern(size);
  const got = { a: [] as Uint8Array[], b: [] as Uint8Array[] };
  let sentA = 0;
  let sentB = 0;
  let dataAt: number | undefined;
  const readAll = (conn: TcpConnection, into: Uint8Array[]) => {
    while (conn.readable) into.push(conn.read(4096, c.now));
  };
  while (c.now < limitMs) {
    server ??= listener.take();
    if (client.state === 'ESTABLISHED' || client.state === 'CLOSE_WAIT') {
      if (sentA < size) sentA += client.write(data.subarray(sentA, Math.min(size, sentA + 3000)), c.now);
      else client.shutdown(c.now);
    }
    if (server && (server.state === 'ESTABLISHED' || server.state === 'CLOSE_WAIT')) {
      if (sentB < size) sentB += server.write(data.subarray(sentB, Math.min(size, sentB + 3000)), c.now);
      else server.shutdown(c.now);
    }
    readAll(client, got.a);
    if (server) readAll(server, got.b);
    const have = (parts: Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);
    if (dataAt === undefined && have(got.a) === size && have(got.b) === size) dataAt = c.now;
    const done = client.state === 'TIME_WAIT' || client.state === 'CLOSED';
    if (done && server?.state === 'CLOSED') {
      if (process.env.TCP_DEBUG) console.log('ended', c.now, 'data at', dataAt, client.state, sentA, sentB, JSON.stringify(c.a.counters()), JSON.stringify(c.b.counters()));
      break;
    }
    if (!c.step()) {
      if (process.env.TCP_DEBUG) console.log('stalled', c.now, client.state, server?.state, sentA, sentB, client.writable, server?.writable, JSON.stringify(client, (k, v) => (k === 'ring' || k === 'ctx' ? undefined : v)), JSON.stringify(server, (k, v) => (k === 'ring' || k === 'ctx' ? undefined : v)));
      break;
    }
  }
  const join = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) (out.set(p, o), (o += p.length));
    return out;
  };
  return { client, server, toA: join(got.a), toB: join(got.b), data };
}

test('64 KiB each way, clean channel: byte-exact, orderly close on both sides', () => {
  const c = channel({});
  const r = transfer(c, 65536);
  assert.ok(r.toB.length === 65536 && r.toA.length === 65536, `${r.toA.length} / ${r.toB.length}`);
  assert.deepEqual(r.toB, r.data);
  assert.deepEqual(r.toA, r.data);
  assert.equal(r.server?.state, 'CLOSED');
  assert.ok(r.client.state === 'TIME_WAIT' || r.client.state === 'CLOSED');
  assert.equal(c.a.counters().retransmits, 0);
});

for (const seed of [1, 2, 3]) {
  test(`64 KiB each way through 10 % loss, 5 % duplicates, 10 % reordering (seed ${seed}): byte-exact`, () => {
    const c = channel({ loss: 0.1, duplicate: 0.05, reorder: 0.1, seed, rate: 11.52 });
    const r = transfer(c, 65536);
    assert.equal(r.toB.length, 65536);
    assert.equal(r.toA.length, 65536);
    assert.deepEqual(r.toB, r.data);
    assert.deepEqual(r.toA, r.data);
    const counters = c.a.counters();
    assert.ok(counters.retransmits > 0, 'losses were repaired by retransmission');
  });
}

test('small buffers and 20 % loss still deliver everything (RTO backoff, zero windows, out-of-order limits)', () => {
  const c = channel({ loss: 0.2, reorder: 0.2, seed: 9, rate: 11.52 }, { tcpSendBuffer: 1024, tcpReceiveBuffer: 1024, tcpOutOfOrder: 1, tcpMaxRetries: 12 });
  const r = transfer(c, 16384);
  assert.deepEqual(r.toB, r.data);
  assert.deepEqual(r.toA, r.data);
});
