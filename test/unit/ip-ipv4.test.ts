import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internetChecksum } from '../../src/ip/checksum.ts';
import { buildIpv4Packet, parseIpv4Packet, PROTO_UDP } from '../../src/ip/ipv4.ts';
import { addressFromBytes, addressToBytes } from '../../src/ip/address.ts';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.ts';

// The classic worked example (Wikipedia "IPv4 header checksum"): checksum b861.
const HEADER = fromHex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
const PAYLOAD = new Uint8Array(0x73 - 20).map((_, i) => i);
const PACKET = concatBytes(HEADER, PAYLOAD);

test('known header: checksum b861 computed and verified', () => {
  const zeroed = HEADER.slice();
  zeroed[10] = zeroed[11] = 0;
  assert.equal(internetChecksum(zeroed), 0xb861);
  assert.equal(internetChecksum(HEADER), 0);
});

test('known header parses to its fields', () => {
  const r = parseIpv4Packet(PACKET);
  assert.ok(r.ok);
  const h = r.value.header;
  assert.equal(h.headerLength, 20);
  assert.equal(h.totalLength, 0x73);
  assert.equal(h.identification, 0);
  assert.equal(h.dontFragment, true);
  assert.equal(h.moreFragments, false);
  assert.equal(h.fragmentOffset, 0);
  assert.equal(h.ttl, 64);
  assert.equal(h.protocol, PROTO_UDP);
  assert.equal(addressFromBytes(h.src), '192.168.0.1');
  assert.equal(addressFromBytes(h.dst), '192.168.0.199');
  assert.deepEqual(r.value.payload, PAYLOAD);
});

test('build reproduces the known header byte for byte', () => {
  const built = buildIpv4Packet(
    { src: addressToBytes('192.168.0.1')!, dst: addressToBytes('192.168.0.199')!, protocol: PROTO_UDP, identification: 0, ttl: 64, dontFragment: true },
    PAYLOAD,
  );
  assert.equal(toHex(built.subarray(0, 20)), toHex(HEADER));
});

test('fragment fields round-trip (offset in bytes, 8-byte units on the wire)', () => {
  const p = buildIpv4Packet({ src: new Uint8Array([10, 0, 0, 1]), dst: new Uint8Array([10, 0, 0, 2]), protocol: 17, identification: 0xbeef, moreFragments: true, fragmentOffset: 1480 }, new Uint8Array(8));
  assert.equal(toHex(p.subarray(6, 8)), (0x2000 | 185).toString(16));
  const r = parseIpv4Packet(p);
  assert.ok(r.ok);
  assert.equal(r.value.header.identification, 0xbeef);
  assert.equal(r.value.header.moreFragments, true);
  assert.equal(r.value.header.fragmentOffset, 1480);
});

test('options are skipped: IHL 6 with NOP options', () => {
  const h = fromHex('46000020 00000000 40110000 0a000001 0a000002 01010101');
  const c = internetChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  const p = concatBytes(h, fromHex('0102030405060708'));
  const r = parseIpv4Packet(p);
  assert.ok(r.ok);
  assert.equal(r.value.header.headerLength, 24);
  assert.equal(toHex(r.value.payload), '0102030405060708');
});

test('link padding beyond total length is cut off', () => {
  const r = parseIpv4Packet(concatBytes(PACKET, new Uint8Array(6)));
  assert.ok(r.ok);
  assert.equal(r.value.payload.length, PAYLOAD.length);
});

function reason(p: Uint8Array): string {
  const r = parseIpv4Packet(p);
  return r.ok ? 'ok' : r.error;
}

test('bad packets are reported, not thrown', () => {
  assert.equal(reason(PACKET.subarray(0, 19)), 'ipv4 truncated header');
  assert.equal(reason(PACKET.subarray(0, 100)), 'ipv4 truncated packet');
  const v6 = PACKET.slice(); v6[0] = 0x65;
  assert.equal(reason(v6), 'ipv4 bad version');
  const ihl = PACKET.slice(); ihl[0] = 0x44;
  assert.equal(reason(ihl), 'ipv4 bad header length');
  const ihlLong = PACKET.slice(0, 30); ihlLong[0] = 0x4f;
  assert.equal(reason(ihlLong), 'ipv4 truncated header');
  const sum = PACKET.slice(); sum[8] = 63;
  assert.equal(reason(sum), 'ipv4 bad header checksum');
  const tl = buildIpv4Packet({ src: new Uint8Array(4), dst: new Uint8Array(4), protocol: 1, identification: 1 }, new Uint8Array(4));
  tl[2] = 0; tl[3] = 10;
  assert.equal(reason(tl), 'ipv4 bad total length');
});
