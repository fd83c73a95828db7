/**
 * What a crypto backend offers: every primitive src/ uses, as keyed objects (a key is set up once,
 * for an SA's life, and wiped when the SA retires). Two backends implement it, chosen at build
 * time by the manifest's `crypto` key: backend.ts (noble, pure JS: Node, xsnap) and
 * native/backend.ts (the device's C libraries through the ikelet/crypto module). The algorithm
 * descriptors in ./algorithms take their primitives from `./backend.ts`, which the device build
 * swaps for the native one (scripts/device-modules.ts); every other crypto user in src/ does too.
 * Each primitive is a named export, so a bundle keeps only those its catalog uses.
 */

/** AES-GCM or ChaCha20-Poly1305 under one key; 12-byte nonces, 16-byte tags. */
export interface AeadKey {
  /** ciphertext | tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or undefined when the tag does not verify (or lengths are wrong). Never throws. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
  wipe(): void;
}

/** AES-CBC without padding under one key: data is a whole number of 16-byte blocks. */
export interface CbcKey {
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** undefined when the lengths are wrong. */
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array | undefined;
  wipe(): void;
}

/** HMAC under one key for many messages (prf+ blocks, ESP packets). */
export interface MacKey {
  /** HMAC(key, data), truncated to the length the key was made for. */
  digest(data: Uint8Array): Uint8Array;
  /** Zeroes the key material; digest must not be called afterwards. */
  wipe(): void;
}

/** A hash fed in pieces (a firmware image). */
export interface HashStream {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** A Diffie-Hellman private value and its public value. */
export interface DhKey {
  /** X25519: u (32 bytes); P-256/384/521: x | y (64/96/132 bytes); MODP: g^x mod p, the modulus' length. */
  readonly publicKey: Uint8Array;
  /** The shared secret (X25519: 32 bytes, refused when all zero; P-*: x; MODP: the modulus' length), undefined for a bad peer value (off the curve; MODP: not 1 < y < p-1) or after wipe(). */
  shared(peer: Uint8Array): Uint8Array | undefined;
  wipe(): void;
}

export interface CryptoBackend {
  readonly BACKEND: 'noble' | 'native';
  aesGcmKey(key: Uint8Array): AeadKey;
  chacha20Poly1305Key(key: Uint8Array): AeadKey;
  aesCbcKey(key: Uint8Array): CbcKey;
  /** `length`: truncate each digest to it (an ICV). */
  hmacSha256Key(key: Uint8Array, length?: number): MacKey;
  hmacSha384Key(key: Uint8Array, length?: number): MacKey;
  hmacSha512Key(key: Uint8Array, length?: number): MacKey;
  sha1(data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  sha256Stream(): HashStream;
  md5(data: Uint8Array): Uint8Array;
  x25519Key(secret: Uint8Array): DhKey;
  /** undefined when the secret is not a valid scalar (0 or >= n): the caller draws another. */
  p256Key(secret: Uint8Array): DhKey | undefined;
  /** Whether `signature` is `publicKey`'s Ed25519 signature of `message` (RFC 8032, strict); false on malformed input. */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  // Issue 22, the suites commercial gateways require (suites block: appended, keep it together).
  /** HMAC-SHA-1 (legacy: PRF_HMAC_SHA1, HMAC-SHA1-96). */
  hmacSha1Key(key: Uint8Array, length?: number): MacKey;
  /** undefined when the secret is not a valid scalar (0 or >= n; 48 bytes): the caller draws another. */
  p384Key(secret: Uint8Array): DhKey | undefined;
  /** undefined when the secret is not a valid scalar (0 or >= n; 66 bytes): the caller draws another. */
  p521Key(secret: Uint8Array): DhKey | undefined;
  /** RFC 3526 MODP group 14, 15 or 16; `secret`: the private exponent, big-endian, any length up to the modulus'. */
  modpKey(group: ModpGroupId, secret: Uint8Array): DhKey;
}

/** The RFC 3526 MODP groups ikelet speaks (IKE transform IDs); below 2048 bits is refused (RFC 8247). */
export type ModpGroupId = 14 | 15 | 16;
