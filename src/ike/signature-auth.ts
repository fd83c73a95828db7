/**
 * Digital Signature authentication (RFC 7427, AUTH method 14): the AUTH data is the length of an
 * ASN.1 AlgorithmIdentifier, the AlgorithmIdentifier, and the signature of the SignedOctets
 * (RFC 7296 2.15, the same octets PSK authentication MACs: auth.ts). Ours: ECDSA P-256 with
 * SHA-256 through the platform's Signer; the gateway's: whatever its certificate's key and the
 * algorithms we accept (RSA PKCS#1 v1.5 / PSS, ECDSA, Ed25519), checked by the crypto backend.
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) says which hashes we take.
 */
import { ecdsaP256Sign, sha256 } from '../crypto/backend.ts';
import type { Signer } from '../platform.ts';
import { concatBytes, fromHex, readU16 } from '../util/bytes.ts';
import { err, ok, type Result } from '../util/result.ts';
import { parseSignatureAlgorithm, type PublicKey } from '../x509/certificate.ts';
import { checkSignature } from '../x509/verify.ts';

/** AlgorithmIdentifier ecdsa-with-SHA256, without parameters (RFC 7427 A.4.1). */
const ECDSA_SHA256 = fromHex('300a06082a8648ce3d040302');

/** RFC 7427 4 / IANA "Hash Algorithms": what we sign with and verify. Identity (5): Ed25519 (RFC 8420). */
export const SignatureHash = Object.freeze({ SHA2_256: 2, SHA2_384: 3, SHA2_512: 4, IDENTITY: 5 } as const);

/** The data of our N(SIGNATURE_HASH_ALGORITHMS). */
export function signatureHashesData(): Uint8Array {
  return Uint8Array.of(0, SignatureHash.SHA2_256, 0, SignatureHash.SHA2_384, 0, SignatureHash.SHA2_512, 0, SignatureHash.IDENTITY);
}

/** The hashes the gateway's notify names (at most 16 read: it is 2 bytes each, bounded by the payload). */
export function parseSignatureHashes(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 2 <= data.length && out.length < 16; at += 2) out.push(readU16(data, at));
  return out;
}

/** Our AUTH data for `octets`, or undefined when the signer failed (the attempt fails and is retried). */
export function signatureAuth(signer: Signer, octets: Uint8Array): Uint8Array | undefined {
  const signature = signer.sign(sha256(octets));
  return signature && concatBytes(Uint8Array.of(ECDSA_SHA256.length), ECDSA_SHA256, signature);
}

/** Whether the gateway's AUTH data is `key`'s signature of `octets`, with an algorithm we accept. */
export function verifySignatureAuth(data: Uint8Array, octets: Uint8Array, key: PublicKey): Result<true> {
  const length = data[0];
  if (length === undefined || length === 0 || data.length < 1 + length + 1) return err('AUTH: no AlgorithmIdentifier and signature');
  const alg = parseSignatureAlgorithm(data.subarray(1, 1 + length));
  if (!alg.ok) return err(`AUTH: ${alg.error}`);
  if (!checkSignature(alg.value, key, octets, data.subarray(1 + length))) return err(`AUTH: the ${alg.value.kind} signature does not verify under the certificate's key`);
  return ok(true);
}

/** The default keeper: a P-256 private scalar from the config/NVS, held in this closure only. */
export function keySigner(privateKey: Uint8Array): Signer {
  const key = privateKey.slice();
  return { algorithm: 'ecdsa-p256', sign: (digest) => ecdsaP256Sign(key, digest) };
}
