import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FCS32_GOOD, FCS32_INIT, FCS_GOOD, FCS_INIT, fcs16, fcs32, fcsTrailer } from '../../src/ppp/fcs.ts';
import { utf8 } from '../../src/util/bytes.ts';

test('FCS-16 of "123456789" matches the CRC-16/X-25 check value 0x906e', () => {
  const fcs = fcs16(utf8('123456789'));
  assert.equal(~fcs & 0xffff, 0x906e);
  assert.deepEqual(fcsTrailer(fcs), [0x6e, 0x90], 'transmitted least significant byte first');
});

test('FCS over a frame plus its trailer is the good-FCS constant 0xf0b8 (RFC 1662)', () => {
  for (const text of ['', 'a', '123456789', '\xff\x03\xc0\x21\x01\x01\x00\x04']) {
    const data = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const [lo, hi] = fcsTrailer(fcs16(data));
    assert.equal(fcs16(Uint8Array.of(...data, lo, hi)), FCS_GOOD, JSON.stringify(text));
  }
});

test('FCS-16 is incremental and the empty input leaves the initial value', () => {
  const all = utf8('hello world');
  assert.equal(fcs16(all.subarray(6), fcs16(all.subarray(0, 6))), fcs16(all));
  assert.equal(fcs16(new Uint8Array(0)), FCS_INIT);
});

test('a flipped bit breaks the good-FCS check', () => {
  const data = utf8('123456789');
  const [lo, hi] = fcsTrailer(fcs16(data));
  const frame = Uint8Array.of(...data, lo, hi);
  frame[3] ^= 0x10;
  assert.notEqual(fcs16(frame), FCS_GOOD);
});

test('FCS-32 (RFC 1662 C.3) of "123456789" is the CRC-32 check value 0xcbf43926; with its trailer, the good-FCS constant', () => {
  const data = utf8('123456789');
  const fcs = fcs32(data);
  assert.equal(~fcs >>> 0, 0xcbf43926);
  const v = ~fcs >>> 0;
  const trailer = Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24); // least significant byte first
  assert.equal(fcs32(Uint8Array.of(...data, ...trailer)), FCS32_GOOD);
  assert.equal(fcs32(data.subarray(4), fcs32(data.subarray(0, 4))), fcs, 'incremental');
  assert.equal(fcs32(new Uint8Array(0)), FCS32_INIT);
});
