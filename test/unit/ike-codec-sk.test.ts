/** SK (encrypted) payload: RFC 7634 IKEv2 example, round trips for every suite, tamper handling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthCipher } from '../../src/crypto/index.ts';
import { AES128_CBC, AES128_GCM16, AES256_CBC, AES256_GCM16, CHACHA20_POLY1305, HMAC_SHA256_128 } from '../../src/crypto/algorithms/index.ts';
import type { AuthCipher, EncrAlgorithm } from '../../src/crypto/index.ts';
import {
  AuthMethod, ExchangeType, IdType, NotifyType, ProtocolId, cpRequest, decodeMessage, deletePayload, encodeMessage,
  idPayload, ipv4Selector, notifyPayload, tsPayload,
} from '../../src/ike/codec/index.ts';
import type { DecodeResult, IkeMessage } from '../../src/ike/codec/index.ts';
import type { Random } from '../../src/platform.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

function ok<T>(r: DecodeResult<T>): T {
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

let seed = 1;
const random: Random = { bytes: (n) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) };

function withIv(cipher: AuthCipher, iv: Uint8Array): AuthCipher {
  return { ...cipher, nextIv: () => iv };
}

test('RFC 7634 appendix B IKEv2 example: ChaCha20-Poly1305 SK payload, byte for byte', () => {
  const cipher = createAuthCipher({
    encr: CHACHA20_POLY1305, encrKey: fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3'), random,
  });
  const wire = fromHex(
    'c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e 20 25 00 00000009 00000045' + // IKE header: INFORMATIONAL, message ID 9
    '29 00 0029' + // SK header: first inner payload N, length 41
    '1011121314151617' + // IV
    '610394701f8d017f7c12924889' + // ciphertext
    '6b71bfe25236efd7cdc67066906315b2'); // ICV
  const { message } = ok(decodeMessage(wire, cipher));
  assert.equal(message.exchange, ExchangeType.INFORMATIONAL);
  assert.equal(message.messageId, 9);
  assert.deepEqual(message.payloads, []);
  assert.deepEqual(message.encrypted, [
    { kind: 'N', protocolId: 0, spi: new Uint8Array(0), notifyType: NotifyType.SET_WINDOW_SIZE, data: fromHex('0000000a') },
  ]);
  // And the encoder produces exactly the RFC's bytes from the typed message.
  assert.equal(toHex(encodeMessage(message, withIv(cipher, fromHex('1011121314151617')))), toHex(wire));
});

const SUITES: { encr: EncrAlgorithm; integ: boolean }[] = [
  { encr: AES128_GCM16, integ: false },
  { encr: AES256_GCM16, integ: false },
  { encr: CHACHA20_POLY1305, integ: false },
  { encr: AES128_CBC, integ: true },
  { encr: AES256_CBC, integ: true },
];

function cipherFor(encr: EncrAlgorithm, integ: boolean, fill: number): AuthCipher {
  return createAuthCipher({
    encr, encrKey: new Uint8Array(encr.keyLength).fill(fill),
    ...(integ ? { integ: HMAC_SHA256_128, integKey: new Uint8Array(32).fill(fill + 1) } : {}), random,
  });
}

function authRequest(): IkeMessage {
  return {
    spiI: fromHex('0102030405060708'), spiR: fromHex('1112131415161718'),
    exchange: ExchangeType.IKE_AUTH, initiator: true, response: false, messageId: 1,
    payloads: [],
    encrypted: [
      idPayload('IDi', IdType.FQDN, utf8('device-17.example.net')),
      { kind: 'AUTH', method: AuthMethod.SHARED_KEY_MIC, data: new Uint8Array(32).fill(0xab) },
      cpRequest(),
      notifyPayload(NotifyType.INITIAL_CONTACT),
      tsPayload('TSi', [ipv4Selector(fromHex('00000000'), fromHex('ffffffff'))]),
      tsPayload('TSr', [ipv4Selector(fromHex('c6336400'), fromHex('c63364ff'))]),
    ],
  };
}

test('SK round trip for every suite, with padding to the cipher block', () => {
  for (const { encr, integ } of SUITES) {
    const cipher = cipherFor(encr, integ, 0x10);
    const msg = authRequest();
    const bytes = encodeMessage(msg, cipher);
    const decoded = ok(decodeMessage(bytes, cipher)).message;
    assert.deepEqual(decoded, msg, encr.name);
    if (encr.blockSize > 1) {
      const skBody = bytes.length - 28 - 4 - cipher.ivLength - cipher.icvLength;
      assert.equal(skBody % 16, 0, `${encr.name} ciphertext is block aligned`);
    }
    // Empty SK (a DPD / liveness check) works too.
    const dpd: IkeMessage = { ...msg, exchange: ExchangeType.INFORMATIONAL, messageId: 2, encrypted: [] };
    assert.deepEqual(ok(decodeMessage(encodeMessage(dpd, cipher), cipher)).message, dpd);
    // A delete of the IKE SA, as sent on shutdown.
    const del: IkeMessage = { ...dpd, messageId: 3, encrypted: [deletePayload(ProtocolId.IKE)] };
    assert.deepEqual(ok(decodeMessage(encodeMessage(del, cipher), cipher)).message, del);
  }
});

test('AEAD IVs never repeat under one key', () => {
  const cipher = cipherFor(AES128_GCM16, false, 3);
  const a = encodeMessage(authRequest(), cipher);
  const b = encodeMessage(authRequest(), cipher);
  assert.notEqual(toHex(a.subarray(32, 40)), toHex(b.subarray(32, 40)));
});

test('every single-bit flip of an SK message is refused without throwing', () => {
  for (const { encr, integ } of SUITES) {
    const cipher = cipherFor(encr, integ, 0x20);
    const bytes = encodeMessage(authRequest(), cipher);
    let icvFailures = 0;
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const t = bytes.slice();
      t[bit >> 3]! ^= 1 << (bit & 7);
      const r = decodeMessage(t, cipher);
      // Flags/exchange/message ID bits are authenticated too, so every flip must fail somewhere.
      assert.equal(r.ok, false, `${encr.name} bit ${bit}`);
      if (!r.ok && r.error.code === 'icv') icvFailures++;
    }
    assert.ok(icvFailures > bytes.length * 8 - 100, `${encr.name}: most flips are ICV failures`);
  }
});

test('wrong keys, missing keys and truncated SK payloads', () => {
  const cipher = cipherFor(AES256_GCM16, false, 1);
  const bytes = encodeMessage(authRequest(), cipher);
  const r1 = decodeMessage(bytes, cipherFor(AES256_GCM16, false, 2));
  assert.equal(r1.ok ? '' : r1.error.code, 'icv');
  const r2 = decodeMessage(bytes);
  assert.equal(r2.ok ? '' : r2.error.code, 'no-keys');
  // An SK payload too short to hold IV + ICV + pad length.
  const short = fromHex('0102030405060708 1112131415161718 2e 20 25 08 00000002 00000028 00 00 000c 0000000000000000');
  const r3 = decodeMessage(short, cipher);
  assert.equal(r3.ok ? '' : r3.error.code, 'truncated');
  assert.throws(() => encodeMessage(authRequest()), /cipher/);
});

test('a pad length larger than the plaintext is bad padding, after a valid ICV', () => {
  // Build a valid SK message by hand whose decrypted pad length byte lies.
  const cipher = cipherFor(CHACHA20_POLY1305, false, 9);
  const header = fromHex('0102030405060708 1112131415161718 2e 20 25 08 00000002 00000000 00 00 0000');
  const plaintext = fromHex('05'); // pad length 5, but nothing precedes it
  const iv = fromHex('0000000000000042');
  const total = header.length + iv.length + plaintext.length + 16;
  header[27] = total;
  header[30] = 0; header[31] = total - 28;
  const sealed = cipher.seal(header, iv, plaintext);
  const wire = new Uint8Array(total);
  wire.set(header, 0); wire.set(iv, header.length); wire.set(sealed, header.length + iv.length);
  const r = decodeMessage(wire, cipher);
  assert.equal(r.ok ? '' : r.error.code, 'bad-padding');
});
