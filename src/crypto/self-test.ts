/**
 * Known-answer self-test at boot: every algorithm of the build's catalog (its descriptor's
 * knownAnswer, known-answer.ts) and the hashes NAT-D and the TCP ISNs use must give the published
 * answers (RFC 4231, 3602, 7748, 5903, 8439, McGrew-Viega GCM, FIPS 180-4) through the backend. A
 * native library linked or configured wrong gives wrong keys silently; this catches it before a
 * key is made. MD5 (CHAP) is not checked: it runs on the same hash path as SHA-1.
 */
import { toHex, utf8 } from '../util/bytes.ts';
import type { Catalog } from './algorithm.ts';
import { sha1, sha256 } from './backend.ts';
import { aeadAnswers, cbcAnswers, dhAnswers, holds, macAnswers } from './known-answer.ts';

/** The name of the first primitive that gave a wrong answer (or threw), or undefined when all are right. */
export function cryptoSelfTest(catalog: Catalog): string | undefined {
  const hashes: [string, () => boolean][] = [
    ['sha1 (NAT-D)', () => toHex(sha1(utf8('abc'))) === 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['sha256 (TCP ISN, firmware)', () => toHex(sha256(utf8('abc'))) === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ];
  for (const [name, check] of hashes) if (!holds(check)) return name;
  for (const e of catalog.encr) if (!(e.aead ? aeadAnswers(e.cipher, e.knownAnswer) : cbcAnswers(e.cipher, e.knownAnswer))) return e.name;
  for (const m of [...catalog.prf, ...catalog.integ]) if (!macAnswers(m.keyed, m.knownAnswer)) return m.name;
  for (const g of catalog.dh) if (!dhAnswers((secret) => g.fromPrivate(secret), g.knownAnswer)) return g.name;
  return undefined;
}
