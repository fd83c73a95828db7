import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpStack, type UdpDatagram } from '../../src/ip/stack.ts';
import { splitForMtu } from '../../src/ip/fragments.ts';
import { buildIpv4Packet, parseIpv4Packet, PROTO_UDP } from '../../src/ip/ipv4.ts';
import { buildUdp } from '../../src/ip/udp.ts';
import { addressToBytes } from '../../src/ip/address.ts';
import { silentLogger } from '../../src/util/log.ts';

const A = addressToBytes('10.0.0.1')!;
const B = addressToBytes('10.0.0.2')!;

function receiver(limits = {}) {
  const got: UdpDatagram[] = [];
  const out: Uint8Array[] = [];
  const s = new IpStack({ log: silentLogger() }, { transmit: (p) => (out.push(p), true) }, { reassembly: limits });
  s.setLocalAddress('10.0.0.2');
  s.bindUdp(9, (d) => got.push({ ...d, payload: d.payload.slice() }));
  return { s, got, out };
}

const payload = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** Fragments of one UDP datagram, hand-built so tests control every field. */
function fragments(data: Uint8Array, chunk: number, id = 0x4242): Uint8Array[] {
  const udp = buildUdp(A, B, 1234, 9, data);
  const out: Uint8Array[] = [];
  for (let off = 0; off < udp.length; off += chunk) {
    const part = udp.subarray(off, Math.min(udp.length, off + chunk));
    out.push(buildIpv4Packet({ src: A, dst: B, protocol: PROTO_UDP, identification: id, fragmentOffset: off, moreFragments: off + chunk < udp.length }, part));
  }
  return out;
}

test('stack fragments a large datagram for a small MTU and the peer reassembles it', () => {
  const { s: b, got } = receiver();
  const a = new IpStack({ log: silentLogger() }, { transmit: (p) => { assert.ok(p.length <= 576); b.input(p, 0); return true; } }, { mtu: 576 });
  a.setLocalAddress('10.0.0.1');
  const data = payload(1400);
  assert.ok(a.bindUdp(1234, () => {}).sendTo('10.0.0.2', 9, data, 0));
  assert.equal(a.counters().fragmentsOut, 3);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.payload, data);
  assert.equal(b.counters().reassembled, 1);
  assert.equal(b.deadline(), undefined);
});

test('in order, reversed and shuffled fragments all reassemble', () => {
  const data = payload(1000);
  const frags = fragments(data, 200);
  const orders = [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0], [2, 5, 0, 3, 1, 4]];
  for (const order of orders) {
    const { s, got } = receiver();
    for (const i of order) s.input(frags[i]!, 0);
    assert.equal(got.length, 1, `order ${order}`);
    assert.deepEqual(got[0]!.payload, data);
    assert.deepEqual(s.counters().drops, {});
  }
});

test('an exact duplicate fragment is ignored', () => {
  const { s, got } = receiver();
  const frags = fragments(payload(500), 200);
  s.input(frags[0]!, 0);
  s.input(frags[0]!, 0);
  s.input(frags[1]!, 0);
  s.input(frags[2]!, 0);
  assert.equal(got.length, 1);
  assert.equal(s.counters().drops['fragment duplicate'], 1);
});

test('overlapping fragments abandon the datagram; its remaining fragments are dropped', () => {
  const { s, got } = receiver();
  const udp = buildUdp(A, B, 1234, 9, payload(500));
  const frag = (off: number, end: number, more: boolean) =>
    buildIpv4Packet({ src: A, dst: B, protocol: PROTO_UDP, identification: 7, fragmentOffset: off, moreFragments: more }, udp.subarray(off, end));
  s.input(frag(0, 200, true), 0);
  s.input(frag(160, 360, true), 0); // overlaps 160..200
  s.input(frag(200, 400, true), 0);
  s.input(frag(400, udp.length, false), 0);
  assert.equal(got.length, 0);
  assert.equal(s.counters().drops['fragment overlap'], 1);
  assert.equal(s.counters().drops['reassembly abandoned'], 2);
  s.onTimer(30_000);
  assert.equal(s.deadline(), undefined);
  assert.equal(s.counters().drops['reassembly timeout'], undefined); // already counted as overlap
});

test('incomplete datagram times out: deadline, onTimer and counter', () => {
  const { s, got } = receiver({ timeoutMs: 20_000 });
  const frags = fragments(payload(500), 200);
  s.input(frags[0]!, 1000);
  s.input(frags[2]!, 5000);
  assert.equal(s.deadline(), 21_000);
  s.onTimer(20_999);
  assert.equal(s.deadline(), 21_000);
  s.onTimer(21_000);
  assert.equal(s.deadline(), undefined);
  assert.equal(s.counters().drops['reassembly timeout'], 1);
  s.input(frags[1]!, 22_000); // late straggler starts a new, doomed reassembly
  assert.equal(got.length, 0);
});

test('datagrams larger than the reassembly limit are dropped', () => {
  const { s, got } = receiver({ maxDatagram: 4096 });
  for (const f of fragments(payload(5000), 1000)) s.input(f, 0);
  assert.equal(got.length, 0);
  assert.equal(s.counters().drops['reassembly too big'], 1);
  assert.ok(s.counters().drops['reassembly abandoned']! >= 1);
  // Just under the limit still works.
  const small = receiver({ maxDatagram: 4096 });
  for (const f of fragments(payload(4096 - 8), 1000, 9)) small.s.input(f, 0);
  assert.equal(small.got.length, 1);
});

test('the number of pending reassemblies is bounded (oldest evicted)', () => {
  const { s, got } = receiver({ maxPending: 2 });
  const sets = [1, 2, 3].map((id) => fragments(payload(300, id), 200, id));
  for (const f of sets) s.input(f[0]!, 0);
  assert.equal(s.counters().drops['reassembly evicted'], 1);
  s.input(sets[0]![1]!, 0); // id 1 was evicted: its tail starts a new entry and evicts id 2
  s.input(sets[2]![1]!, 0);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.payload, payload(300, 3));
});

test('inconsistent and malformed fragments are dropped', () => {
  const { s } = receiver();
  const mk = (id: number, off: number, len: number, more: boolean) =>
    buildIpv4Packet({ src: A, dst: B, protocol: PROTO_UDP, identification: id, fragmentOffset: off, moreFragments: more }, new Uint8Array(len));
  s.input(mk(1, 0, 13, true), 0); // non-final fragment not a multiple of 8
  s.input(mk(2, 8, 0, false), 0); // empty
  s.input(mk(3, 800, 16, false), 0);
  s.input(mk(3, 400, 16, false), 0); // second, different end
  s.input(mk(4, 0, 16, false), 0); // not a fragment at all: goes to UDP parsing instead
  const d = s.counters().drops;
  assert.equal(d['fragment bad length'], 1);
  assert.equal(d['fragment empty'], 1);
  assert.equal(d['fragment inconsistent'], 1);
});

test('splitForMtu keeps offsets 8-aligned and covers the payload', () => {
  const parts = splitForMtu(new Uint8Array(1000), 100);
  assert.ok(parts.every((p) => p.offset % 8 === 0 && p.data.length + 20 <= 100));
  assert.equal(parts.reduce((n, p) => n + p.data.length, 0), 1000);
  assert.deepEqual(parts.map((p) => p.more), [...parts.map(() => true).slice(1), false]);
});

test('fragments carry the same identification and correct flags', () => {
  const out: Uint8Array[] = [];
  const a = new IpStack({ log: silentLogger() }, { transmit: (p) => (out.push(p), true) }, { mtu: 100 });
  a.setLocalAddress('10.0.0.1');
  a.bindUdp(1, () => {}).sendTo('10.0.0.2', 9, new Uint8Array(200), 0);
  const hs = out.map((p) => { const r = parseIpv4Packet(p); assert.ok(r.ok); return r.value.header; });
  assert.equal(new Set(hs.map((h) => h.identification)).size, 1);
  assert.deepEqual(hs.map((h) => h.moreFragments), [true, true, false]);
  assert.deepEqual(hs.map((h) => h.fragmentOffset), [0, 80, 160]);
});
