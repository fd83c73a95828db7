import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdp, parseUdp } from '../../src/ip/udp.ts';
import { parseIpv4Packet } from '../../src/ip/ipv4.ts';
import { addressToBytes } from '../../src/ip/address.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

// 192.168.0.1:40000 -> 192.168.0.199:53, payload "hello, ikelet" (odd length).
// Built independently and confirmed by tshark (ip and udp checksum status "Good").
const PACKET = fromHex('450000291c46400040119c65c0a80001c0a800c79c4000350015310368656c6c6f2c20696b656c6574');
const SRC = addressToBytes('192.168.0.1')!;
const DST = addressToBytes('192.168.0.199')!;

test('captured vector: checksum 0x3103 verified on parse', () => {
  const ip = parseIpv4Packet(PACKET);
  assert.ok(ip.ok);
  const r = parseUdp(ip.value.payload, ip.value.header.src, ip.value.header.dst);
  assert.ok(r.ok);
  assert.equal(r.value.srcPort, 40000);
  assert.equal(r.value.dstPort, 53);
  assert.deepEqual(r.value.payload, utf8('hello, ikelet'));
});

test('build reproduces the captured segment', () => {
  assert.equal(toHex(buildUdp(SRC, DST, 40000, 53, utf8('hello, ikelet'))), toHex(PACKET.subarray(20)));
});

test('a corrupted byte, wrong pseudo-header or bad length is rejected', () => {
  const seg = PACKET.slice(20);
  seg[10] ^= 1;
  assert.deepEqual(parseUdp(seg, SRC, DST), { ok: false, error: 'udp bad checksum' });
  assert.deepEqual(parseUdp(PACKET.subarray(20), SRC, addressToBytes('192.168.0.198')!), { ok: false, error: 'udp bad checksum' });
  assert.deepEqual(parseUdp(PACKET.subarray(20, 27), SRC, DST), { ok: false, error: 'udp truncated header' });
  assert.deepEqual(parseUdp(PACKET.subarray(20, 40), SRC, DST), { ok: false, error: 'udp truncated' });
  const short = PACKET.slice(20); short[5] = 7;
  assert.deepEqual(parseUdp(short, SRC, DST), { ok: false, error: 'udp bad length' });
});

test('zero checksum means "not computed" and is accepted', () => {
  const seg = PACKET.slice(20);
  seg[6] = seg[7] = 0;
  seg[10] ^= 0xff; // would fail verification if it were checked
  assert.ok(parseUdp(seg, SRC, DST).ok);
});

test('a computed checksum of 0 is sent as ffff and still verifies', () => {
  // With payload 0000 the checksum is c; adding the word c to the sum makes it ffff, i.e. checksum 0.
  const probe = buildUdp(SRC, DST, 1000, 2000, new Uint8Array(2));
  const seg = buildUdp(SRC, DST, 1000, 2000, probe.subarray(6, 8).slice());
  assert.equal(toHex(seg.subarray(6, 8)), 'ffff');
  assert.ok(parseUdp(seg, SRC, DST).ok);
});

test('trailing bytes beyond the UDP length are ignored', () => {
  const seg = new Uint8Array(PACKET.length - 20 + 3);
  seg.set(PACKET.subarray(20));
  const r = parseUdp(seg, SRC, DST);
  assert.ok(r.ok);
  assert.equal(r.value.payload.length, 13);
});
