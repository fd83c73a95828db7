/**
 * The noble backend (pure JS, for Node and xsnap): see backend-api.ts. The device build replaces
 * this module with native/backend.ts when the manifest says `crypto: "native"`.
 */
import { gcm, cbc } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { md5 as nobleMd5, sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { mgf1, PKCS1_SHA256, PKCS1_SHA384, PKCS1_SHA512, PSS } from 'micro-rsa-dsa-dh/rsa.js';
import type { AeadKey, CbcKey, DhKey, HashStream, MacKey } from './backend-api.ts';

export const BACKEND: 'noble' | 'native' = 'noble';

/** What noble's gcm and chacha20poly1305 have in common. */
type AeadConstructor = (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => { encrypt(data: Uint8Array): Uint8Array; decrypt(data: Uint8Array): Uint8Array };

function aeadKey(make: AeadConstructor, key: Uint8Array): AeadKey {
  const k = key.slice();
  return {
    seal: (nonce, aad, plaintext) => make(k, nonce, aad).encrypt(plaintext),
    open(nonce, aad, sealed) {
      if (nonce.length !== 12 || sealed.length < 16) return undefined;
      try {
        return make(k, nonce, aad).decrypt(sealed);
      } catch {
        return undefined; // noble throws on a tag mismatch
      }
    },
    wipe: () => k.fill(0),
  };
}

export const aesGcmKey = (key: Uint8Array): AeadKey => aeadKey(gcm, key);
export const chacha20Poly1305Key = (key: Uint8Array): AeadKey => aeadKey(chacha20poly1305, key);

export function aesCbcKey(key: Uint8Array): CbcKey {
  const k = key.slice();
  return {
    encrypt: (iv, data) => cbc(k, iv, { disablePadding: true }).encrypt(data),
    decrypt(iv, data) {
      if (iv.length !== 16 || data.length % 16 !== 0) return undefined;
      try {
        return cbc(k, iv, { disablePadding: true }).decrypt(data);
      } catch {
        return undefined;
      }
    },
    wipe: () => k.fill(0),
  };
}

type Hash = Parameters<typeof hmac>[0];

/**
 * noble hashes the key's inner and outer pad blocks when an HMAC is created; cloning that instance
 * per message saves two compression-function calls each time (of five for a short SHA-256 input).
 */
function hmacKey(hash: Hash, key: Uint8Array, length?: number): MacKey {
  const base = hmac.create(hash, key);
  return {
    digest(data) {
      const out = base.clone().update(data).digest();
      return length === undefined ? out : out.subarray(0, length);
    },
    wipe: () => base.destroy(),
  };
}

export const hmacSha256Key = (key: Uint8Array, length?: number): MacKey => hmacKey(nobleSha256, key, length);
export const hmacSha384Key = (key: Uint8Array, length?: number): MacKey => hmacKey(sha384, key, length);
export const hmacSha512Key = (key: Uint8Array, length?: number): MacKey => hmacKey(sha512, key, length);

export const sha1 = (data: Uint8Array): Uint8Array => nobleSha1(data);
export const sha256 = (data: Uint8Array): Uint8Array => nobleSha256(data);
export const md5 = (data: Uint8Array): Uint8Array => nobleMd5(data);

export function sha256Stream(): HashStream {
  const h = nobleSha256.create();
  return { update: (data) => void h.update(data), digest: () => h.digest() };
}

/** u = 9, the Curve25519 base point (RFC 7748 4.1), for noble's table-free Montgomery ladder (see dh.ts). */
function baseU(): Uint8Array {
  const u = new Uint8Array(32);
  u[0] = 9;
  return u;
}

export function x25519Key(secret: Uint8Array): DhKey {
  const s = secret.slice();
  return {
    publicKey: x25519.scalarMult(s, baseU()),
    shared(peer) {
      if (peer.length !== 32 || s.every((b) => b === 0)) return undefined;
      try {
        const shared = x25519.getSharedSecret(s, peer);
        // RFC 8031 2.3: an all-zero result (low-order point) must be rejected.
        return shared.some((b) => b !== 0) ? shared : undefined;
      } catch {
        return undefined;
      }
    },
    wipe: () => s.fill(0),
  };
}

type NistCurve = typeof p256 | typeof p384 | typeof p521;

/** The generator as a point noble has no precomputed table for (see dh.ts). Made per key: a few slots. */
const uncachedGenerator = (curve: NistCurve) => curve.Point.fromAffine(curve.Point.BASE.toAffine());

/** A NIST curve key: the public value and the peer's are x | y, the shared secret x (RFC 5903). */
function ecpKey(curve: NistCurve, secret: Uint8Array): DhKey | undefined {
  if (!curve.utils.isValidSecretKey(secret)) return undefined;
  const s = secret.slice();
  const publicKey = uncachedGenerator(curve).multiply(curve.Point.Fn.fromBytes(s)).toBytes(false).slice(1);
  return {
    publicKey,
    shared(peer) {
      if (peer.length !== publicKey.length || s.every((b) => b === 0)) return undefined;
      const point = new Uint8Array(peer.length + 1);
      point[0] = 0x04;
      point.set(peer, 1);
      try {
        // noble validates that the point is on the curve; compressed form is 0x02/0x03 | x.
        return curve.getSharedSecret(s, point, true).slice(1);
      } catch {
        return undefined;
      }
    },
    wipe: () => s.fill(0),
  };
}

export const p256Key = (secret: Uint8Array): DhKey | undefined => ecpKey(p256, secret);

export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

// Issue 22, the suites commercial gateways require (suites block: appended, keep it together).
export const hmacSha1Key = (key: Uint8Array, length?: number): MacKey => hmacKey(nobleSha1, key, length);
export const p384Key = (secret: Uint8Array): DhKey | undefined => ecpKey(p384, secret);
export const p521Key = (secret: Uint8Array): DhKey | undefined => ecpKey(p521, secret);
export { modpKey } from './modp.ts';

// ---- signature verification (issue 19: X.509 chains and certificate AUTH) ----
// Native counterpart (PSA psa_verify_hash) not written yet: see docs/certificates.md.

export type SignatureHash = 'sha256' | 'sha384' | 'sha512';
const SIGNATURE_HASHES = { sha256: nobleSha256, sha384, sha512 } as const;

/** Whether `derSignature` (X.509's Ecdsa-Sig-Value) is `point`'s (uncompressed) ECDSA signature of hash(message); high S accepted as X.509 does. */
export function ecdsaVerify(curve: 'P-256' | 'P-384', hash: SignatureHash, point: Uint8Array, message: Uint8Array, derSignature: Uint8Array): boolean {
  try {
    const digest = SIGNATURE_HASHES[hash](message);
    return (curve === 'P-256' ? p256 : p384).verify(derSignature, digest, point, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

const PKCS1 = { sha256: PKCS1_SHA256, sha384: PKCS1_SHA384, sha512: PKCS1_SHA512 } as const;

const bigintOf = (b: Uint8Array): bigint => BigInt(`0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') || '0'}`);

/** RSASSA-PKCS1-v1_5 (`saltLength` undefined) or RSASSA-PSS with MGF1 over the same hash. */
export function rsaVerify(hash: SignatureHash, saltLength: number | undefined, modulus: Uint8Array, exponent: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = { n: bigintOf(modulus), e: bigintOf(exponent) };
    const h = SIGNATURE_HASHES[hash];
    return saltLength === undefined ? PKCS1[hash].verify(key, message, signature) : PSS(h, mgf1(h), saltLength).verify(key, message, signature);
  } catch {
    return false;
  }
}

/** The DER ECDSA signature of a 32-byte digest with a P-256 private scalar (RFC 6979, low S); undefined for a bad key or digest. */
export function ecdsaP256Sign(privateKey: Uint8Array, digest: Uint8Array): Uint8Array | undefined {
  if (digest.length !== 32) return undefined;
  try {
    return p256.sign(digest, privateKey, { prehash: false, format: 'der' });
  } catch {
    return undefined;
  }
}
