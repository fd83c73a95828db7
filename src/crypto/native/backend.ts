/**
 * The native backend (backend-api.ts) over the Moddable module ikelet/crypto (hosts/native/crypto:
 * PSA Crypto and libsodium in C). The device build puts this module in place of ../backend.ts when
 * the manifest says `crypto: "native"` (scripts/device-modules.ts); nothing of noble is bundled then.
 * A refusal from the library (bad tag, bad point) is undefined, as with noble; a key the library
 * cannot take (it should take every one the agent makes) is a programming error and throws.
 */
import { NativeHash, NativeKey, ed25519Verify as verify, hash } from 'ikelet/crypto';
import type { AeadKey, CbcKey, DhKey, HashStream, MacKey } from '../backend-api.ts';

export const BACKEND: 'noble' | 'native' = 'native';

const AES_GCM = 1, CHACHA20_POLY1305 = 2, AES_CBC = 3, HMAC_SHA256 = 4, HMAC_SHA384 = 5, HMAC_SHA512 = 6, X25519 = 7, P256 = 8;
const SHA1 = 1, SHA256 = 2, MD5 = 5;

function keyed(kind: number, key: Uint8Array): NativeKey {
  const k = new NativeKey();
  if (!k.set(kind, key)) throw new Error(`ikelet/crypto: key of kind ${kind} (${key.length} bytes) refused`);
  return k;
}

function aeadKey(kind: number, key: Uint8Array): AeadKey {
  const k = keyed(kind, key);
  return {
    seal(nonce, aad, plaintext) {
      const out = new Uint8Array(plaintext.length + 16);
      if (!k.seal(out, nonce, aad, plaintext)) throw new Error('ikelet/crypto: seal refused');
      return out;
    },
    open(nonce, aad, sealed) {
      if (sealed.length < 16) return undefined;
      const out = new Uint8Array(sealed.length - 16);
      return k.open(out, nonce, aad, sealed) ? out : undefined;
    },
    wipe: () => k.wipe(),
  };
}

export const aesGcmKey = (key: Uint8Array): AeadKey => aeadKey(AES_GCM, key);
export const chacha20Poly1305Key = (key: Uint8Array): AeadKey => aeadKey(CHACHA20_POLY1305, key);

export function aesCbcKey(key: Uint8Array): CbcKey {
  const k = keyed(AES_CBC, key);
  return {
    encrypt(iv, data) {
      const out = new Uint8Array(data.length);
      if (!k.encrypt(out, iv, data)) throw new Error('ikelet/crypto: CBC encrypt refused');
      return out;
    },
    decrypt(iv, data) {
      const out = new Uint8Array(data.length);
      return k.decrypt(out, iv, data) ? out : undefined;
    },
    wipe: () => k.wipe(),
  };
}

function hmacKey(kind: number, length: number, key: Uint8Array): MacKey {
  const k = keyed(kind, key);
  return {
    digest(data) {
      const out = new Uint8Array(length);
      if (!k.mac(out, data)) throw new Error('ikelet/crypto: HMAC refused');
      return out;
    },
    wipe: () => k.wipe(),
  };
}

export const hmacSha256Key = (key: Uint8Array, length = 32): MacKey => hmacKey(HMAC_SHA256, length, key);
export const hmacSha384Key = (key: Uint8Array, length = 48): MacKey => hmacKey(HMAC_SHA384, length, key);
export const hmacSha512Key = (key: Uint8Array, length = 64): MacKey => hmacKey(HMAC_SHA512, length, key);

function digest(kind: number, length: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(length);
  if (!hash(kind, out, data)) throw new Error(`ikelet/crypto: hash ${kind} refused`);
  return out;
}

export const sha1 = (data: Uint8Array): Uint8Array => digest(SHA1, 20, data);
export const sha256 = (data: Uint8Array): Uint8Array => digest(SHA256, 32, data);
export const md5 = (data: Uint8Array): Uint8Array => digest(MD5, 16, data);

export function sha256Stream(): HashStream {
  const h = new NativeHash(SHA256);
  return {
    update(data) {
      if (!h.update(data)) throw new Error('ikelet/crypto: hash update refused');
    },
    digest() {
      const out = new Uint8Array(32);
      if (!h.finish(out)) throw new Error('ikelet/crypto: hash finish refused');
      return out;
    },
  };
}

function dhKey(k: NativeKey, publicLength: number, sharedLength = 32): DhKey {
  const publicKey = new Uint8Array(publicLength);
  if (!k.publicKey(publicKey)) throw new Error('ikelet/crypto: public key refused');
  return {
    publicKey,
    shared(peer) {
      const out = new Uint8Array(sharedLength);
      return k.shared(out, peer) ? out : undefined;
    },
    wipe: () => k.wipe(),
  };
}

export const x25519Key = (secret: Uint8Array): DhKey => dhKey(keyed(X25519, secret), 32);

/** A NIST curve key: public x | y, shared x (the scalar's length). */
function ecpKey(kind: number, secret: Uint8Array): DhKey | undefined {
  const k = new NativeKey();
  return k.set(kind, secret) ? dhKey(k, 2 * secret.length, secret.length) : undefined;
}

export const p256Key = (secret: Uint8Array): DhKey | undefined => ecpKey(P256, secret);

export const ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => verify(signature, message, publicKey);

// Issue 22, the suites commercial gateways require (suites block: appended, keep it together).
const HMAC_SHA1 = 9, P384 = 10, P521 = 11;
export const hmacSha1Key = (key: Uint8Array, length = 20): MacKey => hmacKey(HMAC_SHA1, length, key);
export const p384Key = (secret: Uint8Array): DhKey | undefined => ecpKey(P384, secret);
export const p521Key = (secret: Uint8Array): DhKey | undefined => ecpKey(P521, secret);
/** MODP stays in XS: PSA's FFDH has the RFC 7919 groups only (see ../modp.ts). */
export { modpKey } from '../modp.ts';
