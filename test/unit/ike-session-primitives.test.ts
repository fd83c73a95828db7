/** IKE building blocks checked against independent computations with node:crypto. */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { type EspSuite, type IkeSuite } from '../../src/crypto/index.ts';
import { AES128_CBC, AES128_GCM16, CURVE25519, HMAC_SHA256_128, PRF_HMAC_SHA256, PRF_HMAC_SHA384 } from '../../src/crypto/algorithms/index.ts';
import { pskAuth, signedOctets, verifyPskAuth } from '../../src/ike/auth.ts';
import { identityBody, identityFromString, IdType } from '../../src/ike/identity.ts';
import { deriveChildSaKeys, deriveIkeSaKeys } from '../../src/ike/keys.ts';
import { detectNat, natDetectionHash } from '../../src/ike/nat.ts';
import { Retransmitter } from '../../src/ike/retransmit.ts';
import { narrowingAcceptable, selectorFromCidr, ANY_IPV4 } from '../../src/ike/traffic-selectors.ts';

const hmac = (alg: string, key: Uint8Array, ...data: Uint8Array[]): Buffer => {
  const h = createHmac(alg, key);
  for (const d of data) h.update(d);
  return h.digest();
};

/** prf+ written out independently: T1 = prf(K, S|1), Tn = prf(K, Tn-1|S|n). */
function prfPlusRef(alg: string, key: Uint8Array, seed: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(0);
  for (let n = 1; Buffer.concat(out).length < length; n++) {
    prev = hmac(alg, key, prev, seed, Buffer.of(n));
    out.push(prev);
  }
  return Buffer.concat(out).subarray(0, length);
}

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

test('IKE SA keys: SKEYSEED and SK_* split match a reference computation (AEAD suite: no SK_a)', () => {
  const suite: IkeSuite = { encr: AES128_GCM16, prf: PRF_HMAC_SHA256, integ: undefined, dh: CURVE25519 };
  const ni = bytes(32, 1), nr = bytes(32, 2), g = bytes(32, 3), spiI = bytes(8, 4), spiR = bytes(8, 5);
  const k = deriveIkeSaKeys(suite, ni, nr, g, spiI, spiR);
  const skeyseed = hmac('sha256', Buffer.concat([ni, nr]), g);
  const ref = prfPlusRef('sha256', skeyseed, Buffer.concat([ni, nr, spiI, spiR]), 32 * 3 + 20 * 2);
  assert.deepEqual(Buffer.from(k.skD), ref.subarray(0, 32));
  assert.equal(k.skAi.length, 0);
  assert.deepEqual(Buffer.from(k.skEi), ref.subarray(32, 52));
  assert.deepEqual(Buffer.from(k.skEr), ref.subarray(52, 72));
  assert.deepEqual(Buffer.from(k.skPi), ref.subarray(72, 104));
  assert.deepEqual(Buffer.from(k.skPr), ref.subarray(104, 136));
});

test('IKE SA keys: CBC + HMAC suite with prfsha384 puts SK_ai/SK_ar before SK_e', () => {
  const suite: IkeSuite = { encr: AES128_CBC, prf: PRF_HMAC_SHA384, integ: HMAC_SHA256_128, dh: CURVE25519 };
  const ni = bytes(32, 9), nr = bytes(40, 8), g = bytes(32, 7), spiI = bytes(8, 6), spiR = bytes(8, 5);
  const k = deriveIkeSaKeys(suite, ni, nr, g, spiI, spiR);
  const skeyseed = hmac('sha384', Buffer.concat([ni, nr]), g);
  const ref = prfPlusRef('sha384', skeyseed, Buffer.concat([ni, nr, spiI, spiR]), 48 + 64 + 32 + 96);
  assert.deepEqual(Buffer.from(k.skD), ref.subarray(0, 48));
  assert.deepEqual(Buffer.from(k.skAi), ref.subarray(48, 80));
  assert.deepEqual(Buffer.from(k.skAr), ref.subarray(80, 112));
  assert.deepEqual(Buffer.from(k.skEi), ref.subarray(112, 128));
  assert.deepEqual(Buffer.from(k.skEr), ref.subarray(128, 144));
  assert.deepEqual(Buffer.from(k.skPr), ref.subarray(192, 240));
});

test('CHILD SA keys: KEYMAT = prf+(SK_d, Ni|Nr), initiator-to-responder first, encryption before integrity', () => {
  const suite: EspSuite = { encr: AES128_CBC, integ: HMAC_SHA256_128, dh: undefined };
  const skD = bytes(32, 11), ni = bytes(32, 12), nr = bytes(32, 13);
  const k = deriveChildSaKeys(PRF_HMAC_SHA256, skD, suite, ni, nr);
  const ref = prfPlusRef('sha256', skD, Buffer.concat([ni, nr]), 2 * (16 + 32));
  assert.deepEqual(Buffer.from(k.initiatorToResponder.encr), ref.subarray(0, 16));
  assert.deepEqual(Buffer.from(k.initiatorToResponder.integ), ref.subarray(16, 48));
  assert.deepEqual(Buffer.from(k.responderToInitiator.encr), ref.subarray(48, 64));
  assert.deepEqual(Buffer.from(k.responderToInitiator.integ), ref.subarray(64, 96));
});

test('PSK AUTH = prf(prf(psk, "Key Pad for IKEv2"), msg | Nr | prf(SK_pi, IDi body))', () => {
  const psk = new TextEncoder().encode('lab-psk-not-secret-0123456789');
  const msg = bytes(300, 1), nr = bytes(32, 2), skPi = bytes(32, 3);
  const id = identityFromString('device1.example.com');
  const octets = signedOctets(PRF_HMAC_SHA256, msg, nr, skPi, identityBody(id));
  const macedId = hmac('sha256', skPi, Buffer.of(2, 0, 0, 0), Buffer.from('device1.example.com'));
  const ref = hmac('sha256', hmac('sha256', psk, Buffer.from('Key Pad for IKEv2')), msg, nr, macedId);
  const auth = pskAuth(PRF_HMAC_SHA256, psk, octets);
  assert.deepEqual(Buffer.from(auth), ref);
  assert.ok(verifyPskAuth(PRF_HMAC_SHA256, psk, octets, auth));
  const bad = auth.slice();
  bad[0]! ^= 1;
  assert.ok(!verifyPskAuth(PRF_HMAC_SHA256, psk, octets, bad));
});

test('identities: IPv4 literal, e-mail and FQDN forms', () => {
  assert.deepEqual(identityFromString('192.0.2.7'), { type: IdType.IPV4_ADDR, data: Uint8Array.of(192, 0, 2, 7) });
  assert.equal(identityFromString('dev@example.com').type, IdType.RFC822_ADDR);
  assert.equal(identityFromString('gateway.example.net').type, IdType.FQDN);
});

test('NAT-D hash = SHA-1(SPIi | SPIr | IP | port) and detection of a NAT on our side', () => {
  const spiI = bytes(8, 1), spiR = new Uint8Array(8);
  const h = natDetectionHash(spiI, spiR, '10.0.2.15', 500);
  const ref = createHash('sha1').update(Buffer.concat([spiI, spiR, Buffer.of(10, 0, 2, 15, 0x01, 0xf4)])).digest();
  assert.deepEqual(Buffer.from(h), ref);
  const spiR2 = bytes(8, 2);
  // The responder saw us as 127.0.0.1:40000 (slirp NAT) and itself as 127.0.0.1:500.
  const seenUs = natDetectionHash(spiI, spiR2, '127.0.0.1', 40000);
  const itself = natDetectionHash(spiI, spiR2, '127.0.0.1', 500);
  const r = detectNat(spiI, spiR2, { address: '10.0.2.15', port: 500 }, { address: '127.0.0.1', port: 500 }, [itself], seenUs);
  assert.deepEqual(r, { localBehindNat: true, remoteBehindNat: false });
  const none = detectNat(spiI, spiR2, { address: '127.0.0.1', port: 40000 }, { address: '127.0.0.1', port: 500 }, [itself], seenUs);
  assert.deepEqual(none, { localBehindNat: false, remoteBehindNat: false });
  assert.equal(detectNat(spiI, spiR2, { address: '1.2.3.4', port: 1 }, { address: '1.2.3.4', port: 1 }, [], undefined), undefined);
});

test('retransmit schedule: 0, 1, 3, 7, 15 s then give up at 31 s (fake clock)', () => {
  const r = new Retransmitter();
  r.sent(0);
  const sends: number[] = [0];
  let now = 0;
  for (;;) {
    now = r.deadline()!;
    const v = r.onTimer(now);
    if (v === 'give-up') break;
    assert.equal(v, 'resend');
    sends.push(now);
  }
  assert.deepEqual(sends, [0, 1000, 3000, 7000, 15000]);
  assert.equal(now, 31000);
  assert.equal(r.deadline(), undefined);
  assert.equal(r.onTimer(40000), 'wait');
});

test('traffic selector narrowing must stay inside what was asked', () => {
  const priv = selectorFromCidr('198.51.100.0/24')!;
  assert.ok(narrowingAcceptable([selectorFromCidr('198.51.100.0/25')!], [priv]));
  assert.ok(narrowingAcceptable([selectorFromCidr('192.0.2.1/32')!], [ANY_IPV4]));
  assert.ok(!narrowingAcceptable([selectorFromCidr('198.51.0.0/16')!], [priv]));
  assert.ok(!narrowingAcceptable([], [priv]));
});
