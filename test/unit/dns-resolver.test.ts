import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsResolver, type LookupResult, type ResolverConfig } from '../../src/dns/resolver.ts';
import { parseMessage, TYPE_A, TYPE_CNAME } from '../../src/dns/message.ts';
import { IpStack } from '../../src/ip/stack.ts';
import { parseIpv4Packet } from '../../src/ip/ipv4.ts';
import { addressFromBytes } from '../../src/ip/address.ts';
import { silentLogger } from '../../src/util/log.ts';
import { concatBytes, writeU16 } from '../../src/util/bytes.ts';
import type { Random } from '../../src/platform.ts';

function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; };
  return { bytes: (n) => Uint8Array.from({ length: n }, next) };
}

/** A query as a fake server sees it; answer() returns the response bytes or undefined to stay silent. */
interface Query { id: number; name: string; server: string; srcPort: number; raw: Uint8Array }
type Answer = (q: Query) => Uint8Array | undefined;

function nameBytes(name: string): Uint8Array {
  const parts = name.split('.').flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]);
  return Uint8Array.from([...parts, 0]);
}

/** Echoes the question, then appends records; each record's owner is a pointer to the question or a full name. */
function respond(q: Query, opts: { rcode?: number; flags?: number; id?: number; records?: { owner?: string; type: number; data: Uint8Array; ttl?: number }[] }): Uint8Array {
  const records = opts.records ?? [];
  const head = new Uint8Array(12);
  writeU16(head, 0, opts.id ?? q.id);
  writeU16(head, 2, (opts.flags ?? 0x8180) | (opts.rcode ?? 0));
  writeU16(head, 4, 1);
  writeU16(head, 6, records.length);
  const question = q.raw.subarray(12);
  const parts: Uint8Array[] = [head, question];
  for (const r of records) {
    const fixed = new Uint8Array(10);
    writeU16(fixed, 0, r.type);
    writeU16(fixed, 2, 1);
    writeU16(fixed, 6, r.ttl ?? 60);
    writeU16(fixed, 8, r.data.length);
    parts.push(r.owner ? nameBytes(r.owner) : Uint8Array.of(0xc0, 12), fixed, r.data);
  }
  return concatBytes(...parts);
}

/** Device stack plus one stack per DNS server, routed by destination address; a fake clock drives timers. */
function net(servers: string[], answer: Answer, config: Partial<ResolverConfig> = {}) {
  const queue: Uint8Array[] = [];
  const stacks = new Map<string, IpStack>();
  const route = (p: Uint8Array): boolean => (queue.push(p), true);
  const device = new IpStack({ log: silentLogger('dev'), random: seededRandom(3) }, { transmit: route });
  device.setLocalAddress('10.0.0.1');
  stacks.set('10.0.0.1', device);
  const queries: Query[] = [];
  for (const addr of servers) {
    const s = new IpStack({ log: silentLogger(addr) }, { transmit: route });
    s.setLocalAddress(addr);
    stacks.set(addr, s);
    const sock = s.bindUdp(53, (d, now) => {
      const m = parseMessage(d.payload);
      assert.ok(m.ok);
      const q: Query = { id: m.value.header.id, name: m.value.questions[0]!.name, server: addr, srcPort: d.srcPort, raw: d.payload.slice() };
      queries.push(q);
      const reply = answer(q);
      if (reply) sock.sendTo(d.srcAddr, d.srcPort, reply, now);
    });
  }
  const resolver = new DnsResolver({ servers, timeoutMs: 1000, attempts: 4, ...config }, { log: silentLogger('dns'), random: seededRandom(9) }, { udp: device });
  let now = 0;
  const pump = () => {
    while (queue.length) {
      const p = queue.shift()!;
      const ip = parseIpv4Packet(p);
      assert.ok(ip.ok);
      stacks.get(addressFromBytes(ip.value.header.dst))?.input(p, now);
    }
  };
  /** Advances the fake clock to `until`, firing the resolver's deadlines on the way. */
  const run = (until: number) => {
    pump();
    for (let d = resolver.deadline(); d !== undefined && d <= until; d = resolver.deadline()) {
      now = d;
      resolver.onTimer(now);
      pump();
    }
    now = until;
  };
  const results: LookupResult[] = [];
  const lookup = (name: string) => resolver.lookup(name, now, (r) => results.push(r));
  return { resolver, device, stacks, queries, results, lookup, run, pump, now: () => now };
}

const A = (a: number, b: number, c: number, d: number) => ({ type: TYPE_A, data: Uint8Array.of(a, b, c, d) });

test('resolves A records on the first try and closes its socket', () => {
  const n = net(['10.0.0.53'], (q) => respond(q, { records: [A(192, 0, 2, 1), A(192, 0, 2, 2)] }));
  n.lookup('gw.example.com');
  n.run(0);
  assert.deepEqual(n.results, [{ addresses: ['192.0.2.1', '192.0.2.2'], ttl: 60 }]);
  assert.equal(n.queries.length, 1);
  assert.equal(n.resolver.pendingCount, 0);
  assert.equal(n.resolver.deadline(), undefined);
  // The query's source port is closed again: a late duplicate answer is refused by the stack.
  const q = n.queries[0]!;
  n.stacks.get('10.0.0.53')!.bindUdp(0, () => {}).sendTo('10.0.0.1', q.srcPort, respond(q, {}), 0);
  n.run(0);
  assert.equal(n.device.counters().drops['udp port unreachable'], 1);
  assert.equal(n.results.length, 1);
});

test('query carries RD, a random ID and a random ephemeral source port', () => {
  const n = net(['10.0.0.53'], () => undefined, { attempts: 1 });
  n.lookup('a.example');
  n.lookup('b.example');
  n.run(0);
  const [q1, q2] = n.queries;
  assert.ok(q1 && q2);
  assert.notEqual(q1.id, q2.id);
  assert.equal(q1.raw[2]! & 0x01, 1); // RD
});

test('retransmits on timeout, rotating servers with backoff, then gives up', () => {
  const n = net(['10.0.0.53', '10.0.0.54'], () => undefined, { attempts: 4, timeoutMs: 1000 });
  n.lookup('slow.example');
  const sentAt: number[] = [];
  for (let t = 0; t <= 12_000; t += 1) {
    const before = n.queries.length;
    n.run(t);
    if (n.queries.length > before) sentAt.push(t);
  }
  assert.deepEqual(n.queries.map((q) => q.server), ['10.0.0.53', '10.0.0.54', '10.0.0.53', '10.0.0.54']);
  assert.deepEqual(sentAt, [0, 1000, 2000, 4000]);
  assert.deepEqual(n.results, [{ error: 'timeout' }]);
  assert.equal(n.results.length, 1);
  assert.equal(new Set(n.queries.map((q) => q.id)).size, 1);
});

test('an answer to a retransmission after a lost first reply is accepted', () => {
  let count = 0;
  const n = net(['10.0.0.53'], (q) => (count++ === 0 ? undefined : respond(q, { records: [A(198, 51, 100, 7)] })));
  n.lookup('lossy.example');
  n.run(999);
  assert.equal(n.results.length, 0);
  n.run(1000);
  assert.deepEqual(n.results, [{ addresses: ['198.51.100.7'], ttl: 60 }]);
});

test('NXDOMAIN is final; SERVFAIL moves to the next server at once', () => {
  const n = net(['10.0.0.53', '10.0.0.54'], (q) => respond(q, { rcode: q.server === '10.0.0.53' ? 2 : 3 }));
  n.lookup('missing.example');
  n.run(0);
  assert.deepEqual(n.queries.map((q) => q.server), ['10.0.0.53', '10.0.0.54']);
  assert.deepEqual(n.results, [{ error: 'NXDOMAIN' }]);
});

test('CNAME chain is followed to the addresses', () => {
  const n = net(['10.0.0.53'], (q) => respond(q, {
    records: [
      { type: TYPE_CNAME, data: nameBytes('edge.cdn.example'), ttl: 300 },
      { owner: 'edge.cdn.example', type: TYPE_A, data: Uint8Array.of(203, 0, 113, 5), ttl: 20 },
    ],
  }));
  n.lookup('www.example.com');
  n.run(0);
  assert.deepEqual(n.results, [{ addresses: ['203.0.113.5'], ttl: 20 }]);
});

test('responses with a wrong ID, a wrong question or from a stranger are ignored', () => {
  const n = net(['10.0.0.53'], (q) => respond(q, { id: (q.id + 1) & 0xffff, records: [A(6, 6, 6, 6)] }), { attempts: 1 });
  n.lookup('target.example');
  n.run(0);
  assert.equal(n.resolver.dropCounts()['dns id mismatch'], 1);

  // A stranger (not a configured server) hits the right port with the right ID and question.
  const q = n.queries[0]!;
  const stranger = new IpStack({ log: silentLogger() }, { transmit: (p) => (n.device.input(p, 0), true) });
  stranger.setLocalAddress('10.6.6.6');
  stranger.bindUdp(53, () => {}).sendTo('10.0.0.1', q.srcPort, respond(q, { records: [A(6, 6, 6, 6)] }), 0);
  assert.equal(n.resolver.dropCounts()['dns unexpected source'], 1);

  // The right server address, port and ID, but an answer to another question.
  const other = { ...q, raw: concatBytes(q.raw.subarray(0, 12), nameBytes('other.example'), Uint8Array.of(0, 1, 0, 1)) };
  const reply = respond(other, { records: [A(6, 6, 6, 6)] });
  const spoof = new IpStack({ log: silentLogger() }, { transmit: (p) => (n.device.input(p, 0), true) });
  spoof.setLocalAddress('10.0.0.53');
  spoof.bindUdp(53, () => {}).sendTo('10.0.0.1', q.srcPort, reply, 0);
  assert.equal(n.resolver.dropCounts()['dns question mismatch'], 1);
  assert.equal(n.results.length, 0);
  n.run(1000);
  assert.deepEqual(n.results, [{ error: 'timeout' }]);
});

test('a truncated answer without addresses fails; with addresses it succeeds', () => {
  const tc = net(['10.0.0.53'], (q) => respond(q, { flags: 0x8380 }));
  tc.lookup('big.example');
  tc.run(0);
  assert.deepEqual(tc.results, [{ error: 'truncated response' }]);
  const some = net(['10.0.0.53'], (q) => respond(q, { flags: 0x8380, records: [A(192, 0, 2, 9)] }));
  some.lookup('big.example');
  some.run(0);
  assert.deepEqual(some.results, [{ addresses: ['192.0.2.9'], ttl: 60 }]);
});

test('ICMP port unreachable from the server skips to the next one without waiting', () => {
  const n = net(['10.0.0.53', '10.0.0.54'], (q) => respond(q, { records: [A(192, 0, 2, 3)] }));
  // Replace .53 by a host without a DNS socket: it answers with ICMP port unreachable.
  const s53 = new IpStack({ log: silentLogger() }, { transmit: (p) => (n.device.input(p, 0), true) });
  s53.setLocalAddress('10.0.0.53');
  n.stacks.set('10.0.0.53', s53);
  n.lookup('host.example');
  n.run(0);
  assert.deepEqual(n.results, [{ addresses: ['192.0.2.3'], ttl: 60 }]);
  assert.equal(n.now(), 0);
});

test('immediate results: IP literals, bad names, no servers', () => {
  const n = net([], () => undefined);
  n.lookup('192.0.2.44');
  n.lookup('bad..name');
  n.lookup('ok.example');
  assert.deepEqual(n.results, [{ addresses: ['192.0.2.44'], ttl: 0 }, { error: 'invalid name' }, { error: 'no DNS servers' }]);
  n.resolver.setServers(['not-an-ip', '10.0.0.53']);
  n.lookup('ok.example');
  assert.equal(n.resolver.pendingCount, 1);
});

test('cancel stops retransmits and the callback', () => {
  const n = net(['10.0.0.53'], () => undefined);
  const h = n.lookup('x.example');
  n.run(0);
  h.cancel();
  n.run(60_000);
  assert.equal(n.queries.length, 1);
  assert.equal(n.results.length, 0);
  assert.equal(n.resolver.deadline(), undefined);
});
