/** IKEv2 codec: round trips, hand-built strongSwan bytes, and malformed input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthMethod, CfgType, CpAttributeType, ExchangeType, IdType, NotifyType, ProtocolId,
  cpRequest, decodeHeader, decodeMessage, deletePayload, encodeMessage, findNotify, findPayload, findPayloads,
  idPayload, ipv4Selector, kePayload, noncePayload, notifyName, notifyPayload, proposals, saPayload, tsPayload,
} from '../../src/ike/codec/index.ts';
import type { DecodeResult, IkeMessage } from '../../src/ike/codec/index.ts';
import { parseProposal, proposalTransforms } from '../../src/crypto/index.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

function ok<T>(r: DecodeResult<T>): T {
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function errorCode<T>(r: DecodeResult<T>): string {
  assert.equal(r.ok, false, 'expected a parse error');
  return r.ok ? '' : r.error.code;
}

const spiI = fromHex('0102030405060708');
const zero8 = new Uint8Array(8);

function saInitRequest(): IkeMessage {
  const spec = parseProposal('aes128gcm16-prfsha256-x25519', 'ike');
  assert.ok(spec.ok);
  return {
    spiI, spiR: zero8, exchange: ExchangeType.IKE_SA_INIT, initiator: true, response: false, messageId: 0,
    payloads: [
      saPayload(proposals(ProtocolId.IKE, new Uint8Array(0), [proposalTransforms(spec.value), [{ type: 1, id: 28 }, { type: 2, id: 5 }, { type: 4, id: 19 }]])),
      kePayload(31, new Uint8Array(32).fill(0x11)),
      noncePayload(new Uint8Array(32).fill(0x22)),
      notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, new Uint8Array(20).fill(0x33)),
      notifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, new Uint8Array(20).fill(0x44)),
      { kind: 'V', data: utf8('ikelet') },
    ],
  };
}

test('IKE_SA_INIT request round trip with header fields on the wire', () => {
  const msg = saInitRequest();
  const bytes = encodeMessage(msg);
  assert.equal(toHex(bytes.subarray(16, 20)), '21202208'); // next SA, version 2.0, IKE_SA_INIT, I flag
  const h = ok(decodeHeader(bytes));
  assert.equal(h.length, bytes.length);
  assert.equal(h.majorVersion, 2);
  assert.equal(h.initiator, true);
  assert.equal(h.response, false);
  const { message } = ok(decodeMessage(bytes));
  assert.deepEqual(message, msg);
  assert.deepEqual(encodeMessage(message), bytes);
});

test('every payload kind round trips inside an encrypted-free message', () => {
  const msg: IkeMessage = {
    spiI, spiR: fromHex('1112131415161718'), exchange: ExchangeType.IKE_AUTH, initiator: true, response: false, messageId: 1,
    payloads: [
      idPayload('IDi', IdType.FQDN, utf8('device.example.com')),
      idPayload('IDr', IdType.IPV4_ADDR, fromHex('c0000201')),
      { kind: 'AUTH', method: AuthMethod.SHARED_KEY_MIC, data: new Uint8Array(32).fill(7) },
      cpRequest(),
      saPayload(proposals(ProtocolId.ESP, fromHex('c0ffee01'), [[{ type: 1, id: 20, keyLength: 256 }, { type: 5, id: 0 }]])),
      tsPayload('TSi', [ipv4Selector(fromHex('00000000'), fromHex('ffffffff'))]),
      tsPayload('TSr', [ipv4Selector(fromHex('c6336400'), fromHex('c63364ff'), 17, 500, 500), ipv4Selector(fromHex('0a000000'), fromHex('0affffff'))]),
      notifyPayload(NotifyType.INITIAL_CONTACT),
      notifyPayload(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, fromHex('c0ffee01')),
      deletePayload(ProtocolId.ESP, [fromHex('c0ffee01'), fromHex('c0ffee02')]),
      deletePayload(ProtocolId.IKE),
      { kind: 'CP', cfgType: CfgType.REPLY, attributes: [
        { type: CpAttributeType.INTERNAL_IP4_ADDRESS, value: fromHex('0a0a0001') },
        { type: CpAttributeType.INTERNAL_IP4_DNS, value: fromHex('08080808') },
        { type: CpAttributeType.INTERNAL_IP4_NETMASK, value: fromHex('ffffff00') },
      ] },
      { kind: 'CERTREQ', encoding: 4, authorities: [] },
      { kind: 'CERTREQ', encoding: 4, authorities: [new Uint8Array(20).fill(1), new Uint8Array(20).fill(2)] },
      { kind: 'CERT', encoding: 4, data: fromHex('3082000130') },
    ],
  };
  const bytes = encodeMessage(msg);
  const { message } = ok(decodeMessage(bytes));
  assert.deepEqual(message, msg);
  assert.equal(findPayload(message, 'IDi')?.idType, IdType.FQDN);
  assert.equal(findNotify(message, NotifyType.REKEY_SA)?.protocolId, ProtocolId.ESP);
  assert.equal(findPayloads(message, 'D').length, 2);
  assert.equal(notifyName(NotifyType.NO_PROPOSAL_CHOSEN), 'NO_PROPOSAL_CHOSEN');
  assert.equal(notifyName(65000), 'NOTIFY(65000)');
});

/**
 * An IKE_SA_INIT response laid out byte by byte the way strongSwan 5.9 answers
 * 'aes128gcm16-prfsha256-x25519': SA, KE, Nr, NAT-D x2, fragmentation, signature hashes, V, multiple auth.
 */
const STRONGSWAN_SA_INIT_RESPONSE =
  '0102030405060708 1112131415161718 21 20 22 20 00000000 000000fc' +
  '22 00 0028  00 00 0024 01 01 00 03  0300000c 01000014 800e0080  03000008 02000005  00000008 0400001f' +
  '28 00 0028  001f 0000' + 'aa'.repeat(32) +
  '29 00 0024' + 'bb'.repeat(32) +
  '29 00 001c  00 00 4004' + 'cc'.repeat(20) +
  '29 00 001c  00 00 4005' + 'dd'.repeat(20) +
  '29 00 0008  00 00 402e' +
  '2b 00 0010  00 00 402f  0002 0003 0004 0005' +
  '29 00 0014  882fe56d6fd20dbc2251613b2ebe5beb' +
  '00 00 0008  00 00 4014';

test('decodes a hand-built strongSwan IKE_SA_INIT response', () => {
  const bytes = fromHex(STRONGSWAN_SA_INIT_RESPONSE);
  assert.equal(bytes.length, 0xfc);
  const { header, message } = ok(decodeMessage(bytes));
  assert.equal(header.response, true);
  assert.equal(header.initiator, false);
  assert.equal(message.exchange, ExchangeType.IKE_SA_INIT);
  const sa = findPayload(message, 'SA');
  assert.deepEqual(sa?.proposals, [{ number: 1, protocolId: ProtocolId.IKE, spi: new Uint8Array(0), transforms: [
    { type: 1, id: 20, keyLength: 128 }, { type: 2, id: 5 }, { type: 4, id: 31 },
  ] }]);
  const ke = findPayload(message, 'KE');
  assert.equal(ke?.group, 31);
  assert.equal(toHex(ke!.data), 'aa'.repeat(32));
  assert.equal(toHex(findPayload(message, 'Nonce')!.data), 'bb'.repeat(32));
  assert.equal(toHex(findNotify(message, NotifyType.NAT_DETECTION_DESTINATION_IP)!.data), 'dd'.repeat(20));
  assert.equal(toHex(findNotify(message, NotifyType.SIGNATURE_HASH_ALGORITHMS)!.data), '0002000300040005');
  assert.ok(findNotify(message, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
  assert.ok(findNotify(message, NotifyType.MULTIPLE_AUTH_SUPPORTED));
  assert.equal(toHex(findPayload(message, 'V')!.data), '882fe56d6fd20dbc2251613b2ebe5beb');
  // Re-encoding gives the very same bytes.
  assert.deepEqual(encodeMessage(message), bytes);
});

test('INVALID_KE_PAYLOAD and COOKIE responses decode', () => {
  const invalidKe = encodeMessage({ spiI, spiR: zero8, exchange: ExchangeType.IKE_SA_INIT, initiator: false, response: true, messageId: 0,
    payloads: [notifyPayload(NotifyType.INVALID_KE_PAYLOAD, fromHex('0013'))] });
  const m = ok(decodeMessage(invalidKe)).message;
  assert.equal(toHex(findNotify(m, NotifyType.INVALID_KE_PAYLOAD)!.data), '0013');
});

/** Rewrites the IKE length field so only the inner defect is tested. */
function withLength(hex: string): Uint8Array {
  const b = fromHex(hex);
  b[24] = 0; b[25] = 0; b[26] = b.length >> 8; b[27] = b.length & 0xff;
  return b;
}

const HDR = (next: string): string => `0102030405060708 1112131415161718 ${next} 20 22 20 00000000 00000000`;

test('unknown payloads: non-critical skipped, critical reported with its type', () => {
  const skipped = ok(decodeMessage(withLength(HDR('80') + '29 00 0008 deadbeef' + '00 00 0008 00 00 4014'))).message;
  assert.deepEqual(skipped.payloads.map((p) => p.kind), ['N']);
  const r = decodeMessage(withLength(HDR('80') + '29 80 0008 deadbeef' + '00 00 0008 00 00 4014'));
  assert.equal(errorCode(r), 'unsupported-critical');
  if (!r.ok) assert.equal(r.error.payloadType, 0x80);
  // A known payload with the critical bit set is simply decoded.
  assert.equal(ok(decodeMessage(withLength(HDR('29') + '00 80 0008 00 00 4014'))).message.payloads.length, 1);
});

test('malformed messages give typed errors', () => {
  const good = fromHex(STRONGSWAN_SA_INIT_RESPONSE);
  assert.equal(errorCode(decodeMessage(good.subarray(0, 27))), 'truncated');
  assert.equal(errorCode(decodeMessage(good.subarray(0, good.length - 1))), 'bad-length'); // header length disagrees
  const v3 = good.slice(); v3[17] = 0x30;
  assert.equal(errorCode(decodeMessage(v3)), 'bad-version');
  const cases: [string, string][] = [
    [HDR('29') + '00 00 0003', 'bad-length'], // payload length below 4
    [HDR('29') + '00 00 0010 00 00 4014', 'bad-length'], // payload runs past the end
    [HDR('29') + '00 00 0008 00 00 4014 00', 'bad-length'], // trailing byte after the chain
    [HDR('29') + '29 00 0008 00 00 4014', 'truncated'], // chain announces another payload
    [HDR('29') + '00 00 000a 00 08 4004 0102', 'bad-length'], // N with SPI size beyond the body
    [HDR('28') + '00 00 0008 01020304', 'bad-syntax'], // nonce shorter than 16
    [HDR('21') + '00 00 0004', 'bad-syntax'], // SA without proposals
    [HDR('21') + '00 00 0014 02 00 0010 01 01 00 01 00000008 0400001f', 'bad-length'], // "more proposals" but none follow
    [HDR('21') + '00 00 0014 00 00 0010 01 01 00 02 00000008 0400001f', 'bad-syntax'], // transform count mismatch
    [HDR('21') + '00 00 0014 00 00 0010 01 01 00 01 03000008 0400001f', 'bad-length'], // "more transforms" but none follow
    [HDR('21') + '00 00 0014 00 00 0010 01 01 00 01 00000009 0400001f', 'bad-length'], // transform too long
    [HDR('21') + '00 00 0014 00 00 0010 01 01 00 01 07000008 0400001f', 'bad-syntax'], // bad last-substruc value
    [HDR('21') + '00 00 0016 00 00 0012 01 01 00 01 0000000a 0400001f 0001', 'truncated'], // half an attribute
    [HDR('2c') + '00 00 0018 01 000000 07 00 0010 0000ffff 00000000', 'bad-length'], // TS selector truncated
    [HDR('2c') + '00 00 0018 01 000000 09 00 0010 0000ffff 00000000 ffffffff', 'bad-syntax'], // unknown TS type
    [HDR('2c') + '00 00 0008 00 000000', 'bad-syntax'], // TS without selectors
    [HDR('2a') + '00 00 000c 03 04 0002 c0ffee01', 'bad-length'], // D announces 2 SPIs, holds 1
    [HDR('2f') + '00 00 000c 02 000000 0001 0008', 'bad-length'], // CP attribute longer than the payload
    [HDR('22') + '00 00 0006 001f', 'truncated'], // KE without reserved bytes
    [HDR('2e') + '29 00 0008 00000000' + '00 00 0008 00 00 4014', 'sk-not-last'],
  ];
  for (const [hex, code] of cases) assert.equal(errorCode(decodeMessage(withLength(hex))), code, hex);
  // A transform with an unknown attribute is kept but flagged, so suite selection can refuse it.
  const m = ok(decodeMessage(withLength(HDR('21') + '00 00 0018 00 00 0014 01 01 00 01 0000000c 0400001f 80220001')));
  assert.equal(findPayload(m.message, 'SA')!.proposals[0]!.transforms[0]!.unknownAttribute, true);
});
