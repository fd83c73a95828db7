import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finishChecksum, foldSum, internetChecksum, sumWords } from '../../src/ip/checksum.ts';
import { fromHex } from '../../src/util/bytes.ts';

test('RFC 1071 section 3 example: 0001 f203 f4f5 f6f7 sums to ddf2', () => {
  const data = fromHex('0001f203f4f5f6f7');
  assert.equal(sumWords(data), 0x2ddf0);
  assert.equal(foldSum(sumWords(data)), 0xddf2);
  assert.equal(internetChecksum(data), 0x220d);
});

test('odd length pads the last byte with zero', () => {
  assert.equal(internetChecksum(fromHex('0001f203f4f5f6f7ab')), internetChecksum(fromHex('0001f203f4f5f6f7ab00')));
});

test('sums compose piecewise at even boundaries (pseudo-header style)', () => {
  const a = fromHex('c0a80001c0a800c7');
  const b = fromHex('00110015deadbeef01');
  const whole = fromHex('c0a80001c0a800c700110015deadbeef01');
  assert.equal(finishChecksum(sumWords(b, 0, b.length, sumWords(a))), internetChecksum(whole));
  assert.equal(internetChecksum(whole, 8, 9, sumWords(a)), internetChecksum(whole));
});

test('data carrying its own checksum verifies to zero', () => {
  const data = fromHex('450000730000400040110000c0a80001c0a800c7');
  const c = internetChecksum(data);
  data[10] = c >> 8;
  data[11] = c & 0xff;
  assert.equal(internetChecksum(data), 0);
});

test('all zeros gives ffff, and large inputs fold correctly', () => {
  assert.equal(internetChecksum(new Uint8Array(20)), 0xffff);
  const big = new Uint8Array(65536).fill(0xff);
  assert.equal(foldSum(sumWords(big)), 0xffff);
  assert.equal(internetChecksum(big), 0);
});
