import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FRAMING, HdlcDecoder, encodeFrame, parseFrame, type TxFraming } from '../../src/ppp/hdlc.ts';
import { PROTO_IPV4, PROTO_LCP } from '../../src/ppp/protocols.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';
import { fromHex, utf8 } from '../../src/util/bytes.ts';

function decoder(max = 1508) {
  const drops = new DropCounter(silentLogger());
  const frames: Uint8Array[] = [];
  const d = new HdlcDecoder(max, drops, (f) => frames.push(f));
  return { d, drops, frames, packets: () => frames.map((f) => parseFrame(f)) };
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

test('round trip of every byte value with the default (all control characters escaped) ACCM', () => {
  const { d, packets } = decoder();
  const wire = encodeFrame(PROTO_IPV4, ALL_BYTES, DEFAULT_FRAMING);
  for (let c = 0; c < 0x20; c++) assert.ok(!wire.subarray(1, -1).includes(c), `control char ${c} escaped`);
  assert.equal(wire.subarray(1, -1).indexOf(0x7e), -1, 'no flag inside the frame');
  d.push(wire);
  assert.deepEqual(packets(), [{ protocol: PROTO_IPV4, info: ALL_BYTES }]);
});

test('ACCM 0 leaves control characters raw; only the flag and escape are escaped', () => {
  const framing: TxFraming = { accm: 0, acfc: false, pfc: false };
  const wire = encodeFrame(PROTO_IPV4, Uint8Array.of(0x01, 0x11, 0x7e, 0x7d, 0x13), framing);
  const body = wire.subarray(5, 12);
  assert.deepEqual([...body], [0x01, 0x11, 0x7d, 0x5e, 0x7d, 0x5d, 0x13]);
  const { d, packets } = decoder();
  d.rxAccm = 0; // we asked the peer for ACCM 0, so raw control characters are data
  d.push(wire);
  assert.deepEqual(packets()[0]!.info, Uint8Array.of(0x01, 0x11, 0x7e, 0x7d, 0x13));
});

test('a selective ACCM escapes exactly the mapped characters (XON/XOFF)', () => {
  const accm = (1 << 0x11) | (1 << 0x13);
  const wire = encodeFrame(PROTO_IPV4, Uint8Array.of(0x10, 0x11, 0x12, 0x13), { accm, acfc: true, pfc: true });
  assert.deepEqual([...wire.subarray(2, 8)], [0x10, 0x7d, 0x31, 0x12, 0x7d, 0x33]);
});

test('control characters in the receive ACCM are discarded (inserted by the line)', () => {
  const { d, packets } = decoder();
  const wire = encodeFrame(PROTO_IPV4, utf8('abc'), DEFAULT_FRAMING);
  const noisy = Uint8Array.of(...wire.subarray(0, 5), 0x11, 0x13, ...wire.subarray(5));
  d.push(noisy);
  assert.deepEqual(packets()[0]!.info, utf8('abc'));
});

test('ACFC and PFC compress IP frames but never LCP frames', () => {
  const framing: TxFraming = { accm: 0, acfc: true, pfc: true };
  const ip = encodeFrame(PROTO_IPV4, utf8('x'), framing);
  assert.deepEqual([...ip.subarray(0, 3)], [0x7e, 0x21, 0x78]);
  const lcp = encodeFrame(PROTO_LCP, Uint8Array.of(9, 1, 0, 8, 0, 0, 0, 0), framing);
  assert.deepEqual([...lcp.subarray(0, 5)], [0x7e, 0xff, 0x7d, 0x23, 0xc0], 'address, escaped control, full protocol');
  assert.ok(lcp.includes(0x7d) && !lcp.subarray(1, -1).some((c) => c < 0x20), 'LCP is sent with the full ACCM');
  const { d, packets } = decoder();
  d.push(ip);
  d.push(lcp);
  assert.deepEqual(packets().map((p) => p?.protocol), [PROTO_IPV4, PROTO_LCP]);
});

test('decoder accepts both compressed and uncompressed headers', () => {
  assert.deepEqual(parseFrame(fromHex('ff03002145')), { protocol: 0x21, info: fromHex('45') });
  assert.deepEqual(parseFrame(fromHex('002145')), { protocol: 0x21, info: fromHex('45') });
  assert.deepEqual(parseFrame(fromHex('ff032145')), { protocol: 0x21, info: fromHex('45') });
  assert.deepEqual(parseFrame(fromHex('2145')), { protocol: 0x21, info: fromHex('45') });
  assert.equal(parseFrame(fromHex('ff030020')), undefined, 'even protocol number');
});

test('banner text before the first flag is skipped; split input and shared flags work', () => {
  const { d, packets, drops } = decoder();
  const a = encodeFrame(PROTO_IPV4, utf8('one'), DEFAULT_FRAMING);
  const b = encodeFrame(PROTO_IPV4, utf8('two'), DEFAULT_FRAMING);
  const stream = Uint8Array.of(...utf8('Slirp v1.0 ... CONNECT 115200\r\n'), ...a, ...b.subarray(1));
  for (const byte of stream) d.push(Uint8Array.of(byte));
  assert.deepEqual(packets().map((p) => p?.info), [utf8('one'), utf8('two')]);
  assert.equal(drops.total(), 0);
});

test('bad FCS, too short, too long and aborted frames are dropped and counted; decoding recovers', () => {
  const { d, packets, drops } = decoder(64);
  const good = encodeFrame(PROTO_IPV4, utf8('ok'), DEFAULT_FRAMING);
  const bad = good.slice();
  bad[5] ^= 1;
  d.push(Uint8Array.of(0x7e));
  d.push(bad);
  d.push(Uint8Array.of(0x7e, 0x41, 0x42, 0x7e));
  d.push(encodeFrame(PROTO_IPV4, new Uint8Array(200), DEFAULT_FRAMING));
  d.push(Uint8Array.of(0x7e, 0x41, 0x42, 0x43, 0x44, 0x7d, 0x7e));
  d.push(good);
  assert.equal(drops.count('hdlc bad fcs'), 1);
  assert.equal(drops.count('hdlc frame too short'), 1);
  assert.equal(drops.count('hdlc frame too long'), 1);
  assert.equal(drops.count('hdlc escape before flag'), 1);
  assert.deepEqual(packets().map((p) => p?.info), [utf8('ok')]);
});
