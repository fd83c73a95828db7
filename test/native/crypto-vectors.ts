/**
 * Known answers for the backends' primitives, from the RFCs (7748, 8439/7634, McGrew-Viega GCM,
 * 3602, 4231, 4868, 5903) and FIPS 180 / RFC 1321 for the hashes, with the answer each must give
 * ('refused' for values a backend must turn down).
 */
import { toHex, utf8 } from '../../src/util/bytes.ts';
import type { CryptoCase } from './crypto-cases.ts';
import { ECP384 } from '../../src/crypto/algorithms/ecp384.ts';
import { ECP521 } from '../../src/crypto/algorithms/ecp521.ts';
import { MODP2048, MODP3072, MODP4096 } from '../../src/crypto/algorithms/modp.ts';
import type { DhGroup } from '../../src/crypto/dh.ts';
import { DHGroups } from 'micro-rsa-dsa-dh/dh.js';

const hex = (s: string) => toHex(utf8(s));
const rep = (h: string, n: number) => h.repeat(n);

const GCM_P = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const GCM_AAD = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
const GCM_K128 = 'feffe9928665731c6d6a8f9467308308';
const GCM_NONCE = 'cafebabefacedbaddecaf888';
const CHACHA_KEY = '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f';
const CHACHA_SEALED = 'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
  '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
  '3ff4def08e4b7a9de576d26586cec64b6116' + '1ae10b594f09e26a7e902ecbd0600691';
const SUNSCREEN = hex("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
const P256_I = 'c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433';
const P256_GI = 'dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3';
const P256_GR = 'd12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab';
const ED_PUBLIC_1 = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const ED_SIGNATURE_1 = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
/** S + L (little-endian), the group order added: the same signature, not canonical (RFC 8032 5.1.7 refuses S >= L). */
function addL(s: string): string {
  const L = 'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010';
  let carry = 0;
  let out = '';
  for (let i = 0; i < 32; i++) {
    const v = parseInt(s.slice(2 * i, 2 * i + 2), 16) + parseInt(L.slice(2 * i, 2 * i + 2), 16) + carry;
    out += (v & 0xff).toString(16).padStart(2, '0');
    carry = v >> 8;
  }
  return out;
}
const P256_N = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';

/** u-coordinates whose X25519 result is all zero for every scalar (order 1, 2, 4, 8, and their non-canonical forms). */
export const X25519_LOW_ORDER = [
  rep('00', 32), '01' + rep('00', 31), 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', 'ec' + rep('ff', 30) + '7f', 'ed' + rep('ff', 30) + '7f', 'ee' + rep('ff', 30) + '7f',
];

export const VECTORS: { name: string; c: CryptoCase; expect: string }[] = [
  // RFC 7748 5.2 and 6.1
  { name: '7748 5.2 #1', c: { op: 'x25519-shared', secret: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', peer: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c' }, expect: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552' },
  { name: '7748 5.2 #2', c: { op: 'x25519-shared', secret: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', peer: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493' }, expect: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957' },
  { name: '7748 6.1 Alice public', c: { op: 'x25519-public', secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a' }, expect: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a' },
  { name: '7748 6.1 shared', c: { op: 'x25519-shared', secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', peer: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f' }, expect: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742' },
  ...X25519_LOW_ORDER.map((peer, i) => ({ name: `8031 2.3 low-order u #${i}`, c: { op: 'x25519-shared' as const, secret: rep('42', 32), peer }, expect: 'refused' })),
  { name: 'x25519 short peer', c: { op: 'x25519-shared', secret: rep('42', 32), peer: rep('09', 31) }, expect: 'refused' },
  { name: 'x25519 wiped', c: { op: 'wiped-shared', group: 'x25519', secret: rep('42', 32), peer: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f' }, expect: 'refused' },
  // RFC 5903 8.1
  { name: '5903 8.1 public', c: { op: 'p256-public', secret: P256_I }, expect: P256_GI },
  { name: '5903 8.1 shared', c: { op: 'p256-shared', secret: P256_I, peer: P256_GR }, expect: 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de' },
  { name: 'p256 peer off the curve', c: { op: 'p256-shared', secret: P256_I, peer: P256_GR.slice(0, -2) + 'aa' }, expect: 'refused' },
  { name: 'p256 peer (0, 0)', c: { op: 'p256-shared', secret: P256_I, peer: rep('00', 64) }, expect: 'refused' },
  { name: 'p256 short peer', c: { op: 'p256-shared', secret: P256_I, peer: P256_GR.slice(0, 64) }, expect: 'refused' },
  { name: 'p256 scalar 0', c: { op: 'p256-public', secret: rep('00', 32) }, expect: 'refused' },
  { name: 'p256 scalar n', c: { op: 'p256-public', secret: P256_N }, expect: 'refused' },
  { name: 'p256 wiped', c: { op: 'wiped-shared', group: 'p256', secret: P256_I, peer: P256_GR }, expect: 'refused' },
  // RFC 8439 2.8.2 (RFC 7634's AEAD)
  { name: '8439 2.8.2 seal', c: { op: 'seal', aead: 'chacha', key: CHACHA_KEY, nonce: '070000004041424344454647', aad: '50515253c0c1c2c3c4c5c6c7', data: SUNSCREEN }, expect: CHACHA_SEALED },
  { name: '8439 2.8.2 open', c: { op: 'open', aead: 'chacha', key: CHACHA_KEY, nonce: '070000004041424344454647', aad: '50515253c0c1c2c3c4c5c6c7', data: CHACHA_SEALED }, expect: SUNSCREEN },
  { name: '8439 2.8.2 tampered tag', c: { op: 'open', aead: 'chacha', key: CHACHA_KEY, nonce: '070000004041424344454647', aad: '50515253c0c1c2c3c4c5c6c7', data: CHACHA_SEALED.slice(0, -2) + '90' }, expect: 'refused' },
  { name: '8439 2.8.2 other AAD', c: { op: 'open', aead: 'chacha', key: CHACHA_KEY, nonce: '070000004041424344454647', aad: '50515253c0c1c2c3c4c5c6c6', data: CHACHA_SEALED }, expect: 'refused' },
  // McGrew-Viega GCM test cases 3, 4 (AES-128) and 15, 16 (AES-256)
  { name: 'GCM 3', c: { op: 'seal', aead: 'gcm', key: GCM_K128, nonce: GCM_NONCE, aad: '', data: GCM_P }, expect: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985' + '4d5c2af327cd64a62cf35abd2ba6fab4' },
  { name: 'GCM 4', c: { op: 'seal', aead: 'gcm', key: GCM_K128, nonce: GCM_NONCE, aad: GCM_AAD, data: GCM_P.slice(0, 120) }, expect: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' + '5bc94fbc3221a5db94fae95ae7121a47' },
  { name: 'GCM 4 open', c: { op: 'open', aead: 'gcm', key: GCM_K128, nonce: GCM_NONCE, aad: GCM_AAD, data: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' + '5bc94fbc3221a5db94fae95ae7121a47' }, expect: GCM_P.slice(0, 120) },
  { name: 'GCM 4 tampered', c: { op: 'open', aead: 'gcm', key: GCM_K128, nonce: GCM_NONCE, aad: GCM_AAD, data: 'c2831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' + '5bc94fbc3221a5db94fae95ae7121a47' }, expect: 'refused' },
  { name: 'GCM 15', c: { op: 'seal', aead: 'gcm', key: GCM_K128 + GCM_K128, nonce: GCM_NONCE, aad: '', data: GCM_P }, expect: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad' + 'b094dac5d93471bdec1a502270e3cc6c' },
  { name: 'GCM 16', c: { op: 'seal', aead: 'gcm', key: GCM_K128 + GCM_K128, nonce: GCM_NONCE, aad: GCM_AAD, data: GCM_P.slice(0, 120) }, expect: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' + '76fc6ece0f4e1768cddf8853bb2d551b' },
  { name: 'GCM open short', c: { op: 'open', aead: 'gcm', key: GCM_K128, nonce: GCM_NONCE, aad: '', data: rep('00', 15) }, expect: 'refused' },
  // RFC 3602 cases 1 and 2
  { name: '3602 #1', c: { op: 'cbc-encrypt', key: '06a9214036b8a15b512e03d534120006', iv: '3dafba429d9eb430b422da802c9fac41', data: hex('Single block msg') }, expect: 'e353779c1079aeb82708942dbe77181a' },
  { name: '3602 #2', c: { op: 'cbc-encrypt', key: 'c286696d887c9aa0611bbb3e2025a45a', iv: '562e17996d093d28ddb3ba695a2e6f58', data: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' }, expect: 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1' },
  { name: '3602 #2 decrypt', c: { op: 'cbc-decrypt', key: 'c286696d887c9aa0611bbb3e2025a45a', iv: '562e17996d093d28ddb3ba695a2e6f58', data: 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1' }, expect: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' },
  { name: 'CBC decrypt not a block multiple', c: { op: 'cbc-decrypt', key: 'c286696d887c9aa0611bbb3e2025a45a', iv: '562e17996d093d28ddb3ba695a2e6f58', data: rep('00', 20) }, expect: 'refused' },
  // RFC 4231 cases 1, 2, 6 and RFC 4868 2.7.2.1's truncation
  { name: '4231 #1 SHA-256', c: { op: 'hmac', hash: 256, key: rep('0b', 20), data: hex('Hi There') }, expect: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { name: '4231 #1 SHA-384', c: { op: 'hmac', hash: 384, key: rep('0b', 20), data: hex('Hi There') }, expect: 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6' },
  { name: '4231 #1 SHA-512', c: { op: 'hmac', hash: 512, key: rep('0b', 20), data: hex('Hi There') }, expect: '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854' },
  { name: '4231 #2 SHA-256', c: { op: 'hmac', hash: 256, key: hex('Jefe'), data: hex('what do ya want for nothing?') }, expect: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { name: '4231 #6 SHA-256 (key longer than a block)', c: { op: 'hmac', hash: 256, key: rep('aa', 131), data: hex('Test Using Larger Than Block-Size Key - Hash Key First') }, expect: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54' },
  { name: '4868 HMAC-SHA-256-128', c: { op: 'hmac', hash: 256, key: rep('0b', 20), data: hex('Hi There'), length: 16 }, expect: 'b0344c61d8db38535ca8afceaf0bf12b' },
  // RFC 8032 7.1 tests 1 and 2 (valid: 01, refused: 00)
  { name: '8032 test 1', c: { op: 'ed25519-verify', publicKey: ED_PUBLIC_1, message: '', signature: ED_SIGNATURE_1 }, expect: '01' },
  { name: '8032 test 2', c: { op: 'ed25519-verify', publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', message: '72', signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00' }, expect: '01' },
  { name: '8032 test 1, other message', c: { op: 'ed25519-verify', publicKey: ED_PUBLIC_1, message: '00', signature: ED_SIGNATURE_1 }, expect: '00' },
  { name: '8032 test 1, S + L (not canonical)', c: { op: 'ed25519-verify', publicKey: ED_PUBLIC_1, message: '', signature: ED_SIGNATURE_1.slice(0, 64) + addL(ED_SIGNATURE_1.slice(64)) }, expect: '00' },
  { name: 'ed25519 short signature', c: { op: 'ed25519-verify', publicKey: ED_PUBLIC_1, message: '', signature: ED_SIGNATURE_1.slice(0, 126) }, expect: '00' },
  // FIPS 180-4 / RFC 1321 "abc"
  { name: 'SHA-1 abc', c: { op: 'hash', hash: 'sha1', data: hex('abc') }, expect: 'a9993e364706816aba3e25717850c26c9cd0d89d' },
  { name: 'SHA-256 abc', c: { op: 'hash', hash: 'sha256', data: hex('abc') }, expect: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  { name: 'SHA-256 abc in pieces', c: { op: 'sha256-stream', pieces: [hex('a'), '', hex('bc')] }, expect: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  { name: 'MD5 abc', c: { op: 'hash', hash: 'md5', data: hex('abc') }, expect: '900150983cd24fb0d6963f7d28e17f72' },
  ...SUITES_VECTORS(),
];

/**
 * Issue 22 (suites): RFC 2202 HMAC-SHA-1 (and -96, RFC 2404), RFC 4868's truncated SHA-384/512,
 * SP 800-38A AES-192-CBC, McGrew-Viega AES-192-GCM, and the P-384/P-521/MODP descriptors' known
 * answers (computed with OpenSSL; test/unit/crypto-kat.test.ts checks them with node:crypto), with
 * the peer values they must refuse: off the curve; for MODP 0, 1, p-1, p and a wrong length.
 */
function SUITES_VECTORS(): { name: string; c: CryptoCase; expect: string }[] {
  const zero = (n: number) => rep('00', n);
  const out: { name: string; c: CryptoCase; expect: string }[] = [
    { name: '2202 #1 SHA-1', c: { op: 'hmac', hash: 1, key: rep('0b', 20), data: hex('Hi There') }, expect: 'b617318655057264e28bc0b6fb378c8ef146be00' },
    { name: '2202 #2 SHA-1', c: { op: 'hmac', hash: 1, key: hex('Jefe'), data: hex('what do ya want for nothing?') }, expect: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
    { name: '2202 #6 SHA-1 (key longer than a block)', c: { op: 'hmac', hash: 1, key: rep('aa', 80), data: hex('Test Using Larger Than Block-Size Key - Hash Key First') }, expect: 'aa4ae5e15272d00e95705637ce8a3b55ed402112' },
    { name: '2404 HMAC-SHA1-96', c: { op: 'hmac', hash: 1, key: rep('0b', 20), data: hex('Hi There'), length: 12 }, expect: 'b617318655057264e28bc0b6' },
    { name: '4868 HMAC-SHA-384-192', c: { op: 'hmac', hash: 384, key: rep('0b', 20), data: hex('Hi There'), length: 24 }, expect: 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6' },
    { name: '4868 HMAC-SHA-512-256', c: { op: 'hmac', hash: 512, key: rep('0b', 20), data: hex('Hi There'), length: 32 }, expect: '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde' },
    { name: 'SP 800-38A F.2.3 AES-192-CBC', c: { op: 'cbc-encrypt', key: '8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b', iv: '000102030405060708090a0b0c0d0e0f', data: '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51' }, expect: '4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a' },
    { name: 'GCM test case 8 (AES-192)', c: { op: 'seal', aead: 'gcm', key: zero(24), nonce: zero(12), aad: '', data: zero(16) }, expect: '98e7247c07f0fe411c267e4384b0f6002ff58d80033927ab8ef4d4587514f0fb' },
  ];
  for (const [g, curve] of [[ECP384, 384], [ECP521, 521]] as const) {
    const a = g.knownAnswer;
    out.push(
      { name: `${g.name} public`, c: { op: 'ecp-public', curve, secret: a.secret }, expect: a.publicKey },
      { name: `${g.name} shared`, c: { op: 'ecp-shared', curve, secret: a.secret, peer: a.peer }, expect: a.shared },
      { name: `${g.name} peer (0, 0)`, c: { op: 'ecp-shared', curve, secret: a.secret, peer: a.degenerate }, expect: 'refused' },
      { name: `${g.name} peer off the curve`, c: { op: 'ecp-shared', curve, secret: a.secret, peer: a.peer.slice(0, -2) + (a.peer.endsWith('00') ? '01' : '00') }, expect: 'refused' },
      { name: `${g.name} peer too short`, c: { op: 'ecp-shared', curve, secret: a.secret, peer: a.peer.slice(2) }, expect: 'refused' },
      { name: `${g.name} scalar 0`, c: { op: 'ecp-public', curve, secret: zero(a.secret.length / 2) }, expect: 'refused' },
      { name: `${g.name} scalar n or more`, c: { op: 'ecp-public', curve, secret: curve === 521 ? '01' + rep('ff', 65) : rep('ff', 48) }, expect: 'refused' },
      { name: `${g.name} wiped`, c: { op: 'ecp-wiped-shared', curve, secret: a.secret, peer: a.peer }, expect: 'refused' },
    );
  }
  for (const g of [MODP2048, MODP3072, MODP4096] as const) out.push(...modpVectors(g));
  return out;
}

function modpVectors(g: DhGroup): { name: string; c: CryptoCase; expect: string }[] {
  const group = g.id as 14 | 15 | 16;
  const a = g.knownAnswer;
  const n = g.publicLength;
  const p = DHGroups[`modp${group}`]!.p;
  const shared = (peer: string) => ({ op: 'modp-shared', group, secret: a.secret, peer }) as const;
  return [
    { name: `${g.name} public`, c: { op: 'modp-public', group, secret: a.secret }, expect: a.publicKey },
    { name: `${g.name} shared`, c: shared(a.peer), expect: a.shared },
    { name: `${g.name} peer 0`, c: shared(rep('00', n)), expect: 'refused' },
    { name: `${g.name} peer 1`, c: shared(a.degenerate), expect: 'refused' },
    { name: `${g.name} peer p-1`, c: shared((p - 1n).toString(16)), expect: 'refused' },
    { name: `${g.name} peer p`, c: shared(p.toString(16)), expect: 'refused' },
    { name: `${g.name} peer one byte short`, c: shared(a.peer.slice(2)), expect: 'refused' },
  ];
}
