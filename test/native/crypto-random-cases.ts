/** Random inputs for the differential test: the same seed gives the same cases, so a disagreement replays. */
import type { Random } from '../../src/platform.ts';
import { p384Key, p521Key } from '../../src/crypto/backend.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import type { CryptoCase } from './crypto-cases.ts';
import { X25519_LOW_ORDER } from './crypto-vectors.ts';

/** `count` rounds: in each, every primitive with random keys and messages, a tampered copy, a random peer. */
export function randomCases(random: Random & { next(): number }, count: number): CryptoCase[] {
  const bytes = (n: number) => toHex(random.bytes(n));
  const upTo = (n: number) => Math.floor(random.next() * (n + 1));
  const cases: CryptoCase[] = [];
  for (let i = 0; i < count; i++) {
    const length = i === 0 ? 1400 : upTo(300);
    for (const aead of ['gcm', 'chacha'] as const) {
      const key = bytes(aead === 'gcm' ? [16, 32, 24][i % 3]! : 32);
      const nonce = bytes(12);
      const aad = bytes(upTo(24));
      const data = bytes(length);
      cases.push({ op: 'seal', aead, key, nonce, aad, data });
      // The sealed text is not known here: open a random "sealed" text (refused by both) and, in
      // the test, the seal's own output and a tampered copy of it (see sealedFollowUps).
      cases.push({ op: 'open', aead, key, nonce, aad, data: bytes(length + 16) });
    }
    const cbcKey = bytes([16, 32, 24][i % 3]!);
    const blocks = bytes(16 * (1 + upTo(8)));
    cases.push({ op: 'cbc-encrypt', key: cbcKey, iv: bytes(16), data: blocks }, { op: 'cbc-decrypt', key: cbcKey, iv: bytes(16), data: blocks });
    for (const hash of [256, 384, 512] as const) cases.push({ op: 'hmac', hash, key: bytes(1 + upTo(200)), data: bytes(upTo(300)) });
    cases.push({ op: 'hmac', hash: 256, key: bytes(32), data: bytes(upTo(300)), length: 16 });
    for (const hash of ['sha1', 'sha256', 'md5'] as const) cases.push({ op: 'hash', hash, data: bytes(upTo(300)) });
    cases.push({ op: 'sha256-stream', pieces: [bytes(upTo(100)), bytes(upTo(100)), bytes(upTo(100))] });
    const x = bytes(32);
    cases.push({ op: 'x25519-public', secret: x }, { op: 'x25519-shared', secret: x, peer: bytes(32) });
    cases.push({ op: 'x25519-shared', secret: x, peer: X25519_LOW_ORDER[i % X25519_LOW_ORDER.length]! });
    const p = bytes(32);
    cases.push({ op: 'p256-public', secret: p }, { op: 'p256-shared', secret: p, peer: bytes(64) });
    cases.push(...suitesCases(bytes, upTo, i));
  }
  return cases;
}

/** Cases that need an output of a first run: open what was sealed, and tampered copies of it. */
export function sealedFollowUps(cases: readonly CryptoCase[], results: readonly string[], random: Random & { next(): number }): CryptoCase[] {
  const out: CryptoCase[] = [];
  cases.forEach((c, i) => {
    const sealed = results[i]!;
    if (c.op !== 'seal' || sealed === 'refused' || sealed.startsWith('threw')) return;
    out.push({ ...c, op: 'open', data: sealed });
    const at = Math.floor(random.next() * (sealed.length / 2));
    const flipped = (parseInt(sealed.slice(2 * at, 2 * at + 2), 16) ^ (1 << Math.floor(random.next() * 8))).toString(16).padStart(2, '0');
    out.push({ ...c, op: 'open', data: sealed.slice(0, 2 * at) + flipped + sealed.slice(2 * at + 2) });
    if (c.aad.length) out.push({ ...c, op: 'open', data: sealed, aad: c.aad.slice(2) });
  });
  return out;
}

/**
 * Issue 22 (suites): HMAC-SHA-1 and the truncated SHA-384/512 ICVs, P-384/P-521 with random
 * scalars (P-521's top byte cleared to 0 or 1, as the group draws it) and random (off-curve) peers,
 * and a peer that is on the curve: the other's public value, which noble and the native side
 * must both take. MODP runs the same JS on both backends and is slow in XS: the vectors have it.
 */
function suitesCases(bytes: (n: number) => string, upTo: (n: number) => number, i: number): CryptoCase[] {
  const hmac: CryptoCase[] = [
    { op: 'hmac', hash: 1, key: bytes(1 + upTo(200)), data: bytes(upTo(300)) },
    { op: 'hmac', hash: 1, key: bytes(20), data: bytes(upTo(300)), length: 12 },
    { op: 'hmac', hash: 384, key: bytes(48), data: bytes(upTo(300)), length: 24 },
    { op: 'hmac', hash: 512, key: bytes(64), data: bytes(upTo(300)), length: 32 },
  ];
  const curve = i % 2 ? 521 : 384;
  const scalar = () => (curve === 521 ? `0${upTo(1)}${bytes(65)}` : bytes(48));
  const [a, b] = [scalar(), scalar()];
  return [
    ...hmac,
    { op: 'ecp-public', curve, secret: a },
    { op: 'ecp-shared', curve, secret: a, peer: bytes(curve === 521 ? 132 : 96) },
    { op: 'ecp-shared', curve, secret: b, peer: toHex((curve === 384 ? p384Key : p521Key)(fromHex(a))?.publicKey ?? new Uint8Array(0)) },
  ];
}
