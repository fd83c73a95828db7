/**
 * RFC 7427 Digital Signature AUTH: ours (ECDSA P-256 / SHA-256 through the Signer port) verified by
 * node:crypto; the gateway's (RSA PKCS#1 v1.5 and PSS, ECDSA P-256/P-384, Ed25519, made by node:crypto)
 * verified by ours; tampered, mismatched and refused algorithms with their reason.
 */
import { generateKeyPairSync, createPrivateKey, sign, verify, constants, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keySigner, parseSignatureHashes, signatureAuth, signatureHashesData, verifySignatureAuth } from '../../src/ike/signature-auth.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { parsePublicKeyInfo, type PublicKey } from '../../src/x509/certificate.ts';

const octets = utf8('RealMessage1 | Nr | prf(SK_pi, RestOfInitIDPayload), as IKE_AUTH signs them');

function publicKey(k: KeyObject): PublicKey {
  const r = parsePublicKeyInfo(new Uint8Array(k.export({ type: 'spki', format: 'der' })));
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

const authData = (algorithmId: string, signature: Uint8Array) => Uint8Array.of(algorithmId.length / 2, ...fromHex(algorithmId), ...signature);

test('ours: ecdsa-with-SHA256 as RFC 7427 A.4.1 encodes it, a DER signature node:crypto verifies, and so do we', () => {
  const { privateKey, publicKey: pub } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const data = signatureAuth(keySigner(new Uint8Array(d)), octets)!;
  assert.equal(toHex(data.subarray(0, 13)), '0c300a06082a8648ce3d040302');
  assert.equal(verify('sha256', octets, pub, data.subarray(13)), true);
  assert.deepEqual(verifySignatureAuth(data, octets, publicKey(pub)), { ok: true, value: true });
  assert.equal(verifySignatureAuth(data, utf8('other octets'), publicKey(pub)).ok, false);
  assert.equal(signatureAuth({ algorithm: 'ecdsa-p256', sign: () => undefined }, octets), undefined, 'a failing keeper');
});

const gateways: Array<{ name: string; keys: KeyObject[]; algorithmId: string; sign: (key: KeyObject) => Uint8Array }> = [];
{
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  gateways.push({ name: 'RSA PKCS#1 v1.5 SHA-256', keys: [rsa.privateKey, rsa.publicKey], algorithmId: '300d06092a864886f70d01010b0500', sign: (k) => sign('sha256', octets, k) });
  // RSASSA-PSS SHA-256, MGF1 SHA-256, salt 32 (RFC 7427 A.4.3's encoding).
  const pss = '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120';
  gateways.push({ name: 'RSA-PSS SHA-256', keys: [rsa.privateKey, rsa.publicKey], algorithmId: pss, sign: (k) => sign('sha256', octets, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }) });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  gateways.push({ name: 'ECDSA P-384 SHA-384', keys: [p384.privateKey, p384.publicKey], algorithmId: '300a06082a8648ce3d040303', sign: (k) => sign('sha384', octets, k) });
  const ed = generateKeyPairSync('ed25519');
  gateways.push({ name: 'Ed25519', keys: [ed.privateKey, ed.publicKey], algorithmId: '300506032b6570', sign: (k) => sign(null, octets, k) });
}

for (const g of gateways) {
  test(`the gateway's ${g.name} AUTH verifies; tampered or under another key it does not`, () => {
    const [priv, pub] = g.keys as [KeyObject, KeyObject];
    const sig = new Uint8Array(g.sign(createPrivateKey(priv.export({ type: 'pkcs8', format: 'pem' }))));
    const key = publicKey(pub);
    assert.deepEqual(verifySignatureAuth(authData(g.algorithmId, sig), octets, key), { ok: true, value: true });
    const bad = sig.slice();
    bad[bad.length >> 1]! ^= 1;
    assert.match(String((verifySignatureAuth(authData(g.algorithmId, bad), octets, key) as { error: string }).error), /does not verify/);
    const other = publicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    assert.equal(verifySignatureAuth(authData(g.algorithmId, sig), octets, other).ok, false);
  });
}

test('refused: SHA-1 RSA, a truncated AUTH, garbage', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sig = new Uint8Array(sign('sha1', octets, rsa.privateKey));
  assert.match(String((verifySignatureAuth(authData('300d06092a864886f70d0101050500', sig), octets, publicKey(rsa.publicKey)) as { error: string }).error), /not supported/);
  assert.equal(verifySignatureAuth(Uint8Array.of(12, 0x30), octets, publicKey(rsa.publicKey)).ok, false);
  assert.equal(verifySignatureAuth(new Uint8Array(0), octets, publicKey(rsa.publicKey)).ok, false);
});

test('SIGNATURE_HASH_ALGORITHMS: ours names SHA-256/384/512 and Identity; the gateway\'s is read bounded', () => {
  assert.deepEqual(parseSignatureHashes(signatureHashesData()), [2, 3, 4, 5]);
  assert.equal(parseSignatureHashes(new Uint8Array(1000)).length, 16);
  assert.deepEqual(parseSignatureHashes(Uint8Array.of(0, 2, 7)), [2]);
});
