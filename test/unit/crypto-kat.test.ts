/** Known-answer tests for every primitive composition in src/crypto (vectors from the cited RFCs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cbc } from '@noble/ciphers/aes.js';
import { createAuthCipher, prfPlus } from '../../src/crypto/index.ts';
import { AES128_CBC, AES128_GCM16, AES256_GCM16, CHACHA20_POLY1305, CURVE25519, ECP256, HMAC_SHA256_128, PRF_HMAC_SHA256, PRF_HMAC_SHA384, PRF_HMAC_SHA512 } from '../../src/crypto/algorithms/index.ts';
import type { Random } from '../../src/platform.ts';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

const noRandom: Random = { bytes: () => { throw new Error('no randomness in KATs'); } };
const rep = (hex: string, n: number): Uint8Array => fromHex(hex.repeat(n));

test('RFC 4231 HMAC-SHA-256/384/512 as IKE PRFs', () => {
  const cases = [
    // Test case 1
    { key: rep('0b', 20), data: utf8('Hi There'),
      s256: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      s384: 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
      s512: '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854' },
    // Test case 3
    { key: rep('aa', 20), data: rep('dd', 50),
      s256: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
      s384: '88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27',
      s512: 'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb' },
    // Test case 4
    { key: fromHex('0102030405060708090a0b0c0d0e0f10111213141516171819'), data: rep('cd', 50),
      s256: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
      s384: '3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb',
      s512: 'b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd' },
    // Test case 6 (key larger than the block size)
    { key: rep('aa', 131), data: utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
      s256: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
      s384: '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952',
      s512: '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598' },
  ];
  for (const c of cases) {
    assert.equal(toHex(PRF_HMAC_SHA256.compute(c.key, c.data)), c.s256);
    assert.equal(toHex(PRF_HMAC_SHA384.compute(c.key, c.data)), c.s384);
    assert.equal(toHex(PRF_HMAC_SHA512.compute(c.key, c.data)), c.s512);
  }
});

test('RFC 4868 2.7.2.1 HMAC-SHA-256-128 authenticator vectors', () => {
  const cases = [
    { key: rep('0b', 32), data: utf8('Hi There'), icv: '198a607eb44bfbc69903a0f1cf2bbdc5' },
    { key: utf8('JefeJefeJefeJefeJefeJefeJefeJefe'), data: utf8('what do ya want for nothing?'), icv: '167f928588c5cc2eef8e3093caa0e87c' },
    { key: rep('aa', 32), data: rep('dd', 50), icv: 'cdcb1220d1ecccea91e53aba3092f962' },
  ];
  for (const c of cases) assert.equal(toHex(HMAC_SHA256_128.mac(c.key, c.data)), c.icv);
});

test('prf+ matches a manual T1 | T2 | T3 iteration (RFC 7296 2.13)', () => {
  const key = rep('01', 32);
  const seed = utf8('Ni | Nr | SPIi | SPIr');
  const t1 = PRF_HMAC_SHA256.compute(key, concatBytes(seed, Uint8Array.of(1)));
  const t2 = PRF_HMAC_SHA256.compute(key, concatBytes(t1, seed, Uint8Array.of(2)));
  const t3 = PRF_HMAC_SHA256.compute(key, concatBytes(t2, seed, Uint8Array.of(3)));
  const expected = concatBytes(t1, t2, t3).subarray(0, 80);
  assert.deepEqual(prfPlus(PRF_HMAC_SHA256, key, seed, 80), expected);
  assert.equal(prfPlus(PRF_HMAC_SHA384, key, seed, 7).length, 7);
  assert.throws(() => prfPlus(PRF_HMAC_SHA256, key, seed, 255 * 32 + 1));
});

test('RFC 7748 5.2 x25519 scalar multiplication and 6.1 Diffie-Hellman', () => {
  const v1 = CURVE25519.fromPrivate(fromHex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'));
  assert.equal(toHex(v1.computeShared(fromHex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'))!),
    'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  const v2 = CURVE25519.fromPrivate(fromHex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'));
  assert.equal(toHex(v2.computeShared(fromHex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'))!),
    '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');

  const alice = CURVE25519.fromPrivate(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
  const bob = CURVE25519.fromPrivate(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
  assert.equal(toHex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(toHex(bob.publicKey), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  assert.equal(toHex(alice.computeShared(bob.publicKey)!), shared);
  assert.equal(toHex(bob.computeShared(alice.publicKey)!), shared);
});

test('x25519 rejects malformed and low-order peer values without throwing', () => {
  const kp = CURVE25519.fromPrivate(rep('42', 32));
  assert.equal(kp.computeShared(new Uint8Array(31)), undefined);
  assert.equal(kp.computeShared(new Uint8Array(32)), undefined); // u = 0: all-zero shared secret
  assert.equal(kp.computeShared(fromHex('01'.padEnd(64, '0'))), undefined); // u = 1: order-1 point
});

test('RFC 5903 8.1 ecp256 Diffie-Hellman: KE data is x | y, shared secret is x', () => {
  const i = ECP256.fromPrivate(fromHex('C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433'));
  const r = ECP256.fromPrivate(fromHex('C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53'));
  assert.equal(toHex(i.publicKey), (
    'DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180' +
    '5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3').toLowerCase());
  assert.equal(toHex(r.publicKey), (
    'D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63' +
    '56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB').toLowerCase());
  const girx = 'D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE'.toLowerCase();
  assert.equal(toHex(i.computeShared(r.publicKey)!), girx);
  assert.equal(toHex(r.computeShared(i.publicKey)!), girx);
  // A point off the curve or a wrong length is refused, not thrown.
  const bad = r.publicKey.slice();
  bad[63] ^= 1;
  assert.equal(i.computeShared(bad), undefined);
  assert.equal(i.computeShared(r.publicKey.subarray(0, 32)), undefined);
});

test('generated key pairs agree (both groups)', () => {
  let n = 0;
  const random: Random = { bytes: (len) => Uint8Array.from({ length: len }, (_, k) => (k * 7 + ++n) & 0xff) };
  for (const g of [CURVE25519, ECP256]) {
    const a = g.generate(random);
    const b = g.generate(random);
    assert.equal(a.publicKey.length, g.publicLength);
    assert.deepEqual(a.computeShared(b.publicKey), b.computeShared(a.publicKey));
  }
});

test('RFC 8439 2.8.2 ChaCha20-Poly1305 AEAD (salt 07000000, IV 4041424344454647)', () => {
  const cipher = createAuthCipher({ encr: CHACHA20_POLY1305, encrKey: fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f07000000'), random: noRandom });
  const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const iv = fromHex('4041424344454647');
  const plaintext = utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  const expected =
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
    '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
    '3ff4def08e4b7a9de576d26586cec64b6116' + '1ae10b594f09e26a7e902ecbd0600691';
  const sealed = cipher.seal(aad, iv, plaintext);
  assert.equal(toHex(sealed), expected);
  assert.deepEqual(cipher.open(aad, iv, sealed), plaintext);
});

test('McGrew-Viega GCM test cases 3/4 (AES-128) and 15/16 (AES-256), 16-octet ICV', () => {
  const salt = 'cafebabe';
  const iv = fromHex('facedbaddecaf888');
  const p = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
  const aad = fromHex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
  const k128 = fromHex('feffe9928665731c6d6a8f9467308308' + salt);
  const k256 = fromHex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308' + salt);
  const cases = [
    { encr: AES128_GCM16, key: k128, aad: new Uint8Array(0), pt: fromHex(p),
      ct: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985' + '4d5c2af327cd64a62cf35abd2ba6fab4' },
    { encr: AES128_GCM16, key: k128, aad, pt: fromHex(p).subarray(0, 60),
      ct: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' + '5bc94fbc3221a5db94fae95ae7121a47' },
    { encr: AES256_GCM16, key: k256, aad: new Uint8Array(0), pt: fromHex(p),
      ct: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad' + 'b094dac5d93471bdec1a502270e3cc6c' },
    { encr: AES256_GCM16, key: k256, aad, pt: fromHex(p).subarray(0, 60),
      ct: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' + '76fc6ece0f4e1768cddf8853bb2d551b' },
  ];
  for (const c of cases) {
    const cipher = createAuthCipher({ encr: c.encr, encrKey: c.key, random: noRandom });
    const sealed = cipher.seal(c.aad, iv, c.pt);
    assert.equal(toHex(sealed), c.ct);
    assert.deepEqual(cipher.open(c.aad, iv, sealed), c.pt);
    const tampered = sealed.slice();
    tampered[0] ^= 0x80;
    assert.equal(cipher.open(c.aad, iv, tampered), undefined);
  }
});

test('RFC 3602 AES-CBC cases 1-3 through noble cbc without padding', () => {
  const cases = [
    { key: '06a9214036b8a15b512e03d534120006', iv: '3dafba429d9eb430b422da802c9fac41', pt: toHex(utf8('Single block msg')),
      ct: 'e353779c1079aeb82708942dbe77181a' },
    { key: 'c286696d887c9aa0611bbb3e2025a45a', iv: '562e17996d093d28ddb3ba695a2e6f58',
      pt: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      ct: 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1' },
    { key: '56e47a38c5598974bc46903dba290349', iv: '8ce82eefbea0da3c44699ed7db51b7d9',
      pt: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf',
      ct: 'c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55' },
  ];
  for (const c of cases) {
    assert.equal(toHex(cbc(fromHex(c.key), fromHex(c.iv), { disablePadding: true }).encrypt(fromHex(c.pt))), c.ct);
  }
});

test('AES-CBC + HMAC-SHA-256-128 auth cipher: RFC 3602 ciphertext, ICV over prefix | IV | ciphertext', () => {
  const encrKey = fromHex('c286696d887c9aa0611bbb3e2025a45a');
  const integKey = rep('0b', 32);
  const iv = fromHex('562e17996d093d28ddb3ba695a2e6f58');
  const pt = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const prefix = fromHex('0000100100000007'); // e.g. ESP SPI | sequence number
  const cipher = createAuthCipher({ encr: AES128_CBC, encrKey, integ: HMAC_SHA256_128, integKey, random: noRandom });
  const sealed = cipher.seal(prefix, iv, pt);
  const ct = 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1';
  assert.equal(toHex(sealed.subarray(0, 32)), ct);
  assert.deepEqual(sealed.subarray(32), HMAC_SHA256_128.mac(integKey, concatBytes(prefix, iv, fromHex(ct))));
  assert.deepEqual(cipher.open(prefix, iv, sealed), pt);
  for (const bit of [0, 8 * 20, 8 * 40]) {
    const t = sealed.slice();
    t[bit >> 3]! ^= 1;
    assert.equal(cipher.open(prefix, iv, t), undefined);
  }
  const p2 = prefix.slice();
  p2[7] ^= 1;
  assert.equal(cipher.open(p2, iv, sealed), undefined);
  assert.equal(cipher.open(prefix, iv, sealed.subarray(0, 40)), undefined); // ciphertext not a block multiple
});

test('auth cipher key checks and IV sources', () => {
  assert.throws(() => createAuthCipher({ encr: AES128_GCM16, encrKey: new Uint8Array(16), random: noRandom }), /20 key bytes/);
  assert.throws(() => createAuthCipher({ encr: AES128_CBC, encrKey: new Uint8Array(16), random: noRandom }), /integrity/);
  // AEAD IVs: a counter from a random start, wrapping at 2^64.
  const start: Random = { bytes: (n) => new Uint8Array(n).fill(0xff) };
  const gcmCipher = createAuthCipher({ encr: AES128_GCM16, encrKey: new Uint8Array(20), random: start });
  assert.equal(toHex(gcmCipher.nextIv()), '0000000000000000');
  assert.equal(toHex(gcmCipher.nextIv()), '0000000000000001');
  const random: Random = { bytes: (n) => new Uint8Array(n).fill(0x5a) };
  const cbcCipher = createAuthCipher({ encr: AES128_CBC, encrKey: new Uint8Array(16), integ: HMAC_SHA256_128, integKey: new Uint8Array(32), random });
  assert.equal(toHex(cbcCipher.nextIv()), '5a'.repeat(16));
});

// Issue 22: the groups without a published IKE vector carry answers computed with OpenSSL; check
// them, and fresh exchanges, against node:crypto (OpenSSL, an implementation independent of noble
// and micro-rsa-dsa-dh).
import crypto from 'node:crypto';
import { ECP384, ECP521, HMAC_SHA1_96, HMAC_SHA384_192, HMAC_SHA512_256, MODP2048, MODP3072, MODP4096, PRF_HMAC_SHA1 } from '../../src/crypto/algorithms/index.ts';
import { seededRandom } from './seeded-random.ts';

test('P-384 and P-521: known answers and fresh exchanges agree with OpenSSL; off-curve peers are refused', () => {
  const random = seededRandom(22);
  for (const [g, curve] of [[ECP384, 'secp384r1'], [ECP521, 'secp521r1']] as const) {
    const a = g.knownAnswer;
    const ours = g.fromPrivate(fromHex(a.secret));
    const theirs = crypto.createECDH(curve);
    theirs.setPrivateKey(fromHex(a.secret));
    assert.equal(toHex(ours.publicKey), theirs.getPublicKey('hex').slice(2), g.name);
    assert.equal(toHex(ours.computeShared(fromHex(a.peer))!), a.shared, g.name);
    for (let i = 0; i < 4; i++) {
      const mine = g.generate(random);
      const peer = crypto.createECDH(curve);
      peer.generateKeys();
      assert.equal(toHex(mine.computeShared(peer.getPublicKey().subarray(1))!), peer.computeSecret(Buffer.concat([Buffer.of(4), mine.publicKey])).toString('hex'), `${g.name} exchange ${i}`);
    }
    const off = fromHex(a.peer);
    off[off.length - 1]! ^= 1;
    assert.equal(ours.computeShared(off), undefined, `${g.name} off the curve`);
    assert.equal(ours.computeShared(fromHex(a.peer).subarray(1)), undefined, `${g.name} short`);
    ours.wipe();
    assert.equal(ours.computeShared(fromHex(a.peer)), undefined, `${g.name} wiped`);
  }
});

test('MODP 2048/3072/4096: answers agree with OpenSSL, exponents are sized to the group (RFC 3526), 1 < y < p-1 is enforced', () => {
  const random = seededRandom(2048);
  for (const [g, name, bits] of [[MODP2048, 'modp14', 256], [MODP3072, 'modp15', 320], [MODP4096, 'modp16', 384]] as const) {
    const a = g.knownAnswer;
    const prime = crypto.getDiffieHellman(name).getPrime();
    const p = BigInt(`0x${prime.toString('hex')}`);
    assert.equal(g.publicLength, prime.length);
    const theirs = crypto.createDiffieHellman(prime, 2);
    theirs.setPrivateKey(fromHex(a.secret));
    theirs.generateKeys();
    assert.equal(toHex(g.fromPrivate(fromHex(a.secret)).publicKey), theirs.getPublicKey('hex').padStart(2 * prime.length, '0'), g.name);
    // A fresh key pair: its exponent is drawn from the platform random, `bits` long.
    let drawn = 0;
    const counting = { bytes: (n: number) => { drawn = n; return random.bytes(n); } };
    const mine = g.generate(counting);
    assert.equal(drawn * 8, bits, `${g.name} exponent bits`);
    const peer = crypto.createDiffieHellman(prime, 2);
    peer.generateKeys();
    assert.equal(toHex(mine.computeShared(peer.getPublicKey())!), peer.computeSecret(Buffer.from(mine.publicKey)).toString('hex').padStart(2 * prime.length, '0'), `${g.name} exchange`);
    const n = prime.length;
    const be = (v: bigint) => fromHex(v.toString(16).padStart(2 * n, '0'));
    for (const [what, y] of [['0', 0n], ['1', 1n], ['p-1', p - 1n], ['p', p], ['p+1', p + 1n]] as const) assert.equal(mine.computeShared(be(y)), undefined, `${g.name} y = ${what}`);
    assert.equal(mine.computeShared(peer.getPublicKey().subarray(1)), undefined, `${g.name} short`);
    assert.notEqual(mine.computeShared(be(2n)), undefined, `${g.name} y = 2 is in range`);
  }
});

test('RFC 2202 / 2404 / 4868: HMAC-SHA1 PRF and -96, HMAC-SHA2-384-192 and -512-256 integrity', () => {
  const [key, data] = [rep('0b', 20), utf8('Hi There')];
  assert.equal(toHex(PRF_HMAC_SHA1.compute(key, data)), 'b617318655057264e28bc0b6fb378c8ef146be00');
  assert.equal(toHex(HMAC_SHA1_96.mac(key, data)), 'b617318655057264e28bc0b6');
  assert.equal(toHex(HMAC_SHA384_192.mac(key, data)), 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6');
  assert.equal(toHex(HMAC_SHA512_256.mac(key, data)), '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde');
});
