/** NAT-T framing on UDP/4500 (RFC 3948). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyUdp4500, natKeepalive, wrapIkeForNatt } from '../../src/esp/index.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

test('keepalive, IKE with the non-ESP marker, ESP and junk are told apart', () => {
  assert.deepEqual(classifyUdp4500(natKeepalive()), { kind: 'keepalive' });
  assert.equal(toHex(natKeepalive()), 'ff');
  const ike = fromHex('0102030405060708 0000000000000000 21 20 22 08 00000000 0000001c');
  const wrapped = wrapIkeForNatt(ike);
  assert.equal(toHex(wrapped.subarray(0, 4)), '00000000');
  const c = classifyUdp4500(wrapped);
  assert.equal(c.kind, 'ike');
  if (c.kind === 'ike') assert.deepEqual(c.message, ike);
  const esp = fromHex('c0ffee01 00000001 0011223344556677');
  assert.deepEqual(classifyUdp4500(esp), { kind: 'esp', packet: esp });
  assert.equal(classifyUdp4500(fromHex('')).kind, 'invalid');
  assert.equal(classifyUdp4500(fromHex('fe')).kind, 'invalid');
  assert.equal(classifyUdp4500(fromHex('000000')).kind, 'invalid');
  assert.equal(classifyUdp4500(fromHex('c0ffee01 0000')).kind, 'invalid');
});
