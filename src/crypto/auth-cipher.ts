/**
 * A keyed "authenticated cipher": either an AEAD (AES-GCM, ChaCha20-Poly1305) or
 * AES-CBC + HMAC (encrypt-then-MAC). IKE SK payloads and ESP use it the same way:
 *
 *   wire = authPrefix | IV | ciphertext | ICV
 *
 * AEAD: nonce = salt | IV, AAD = authPrefix (RFC 4106 3 / RFC 5282 5.1 / RFC 7634 2-3).
 * CBC:  ICV = integ(authPrefix | IV | ciphertext) (RFC 7296 3.14, RFC 4303 2.8).
 */
import type { Random } from '../platform.ts';
import { constantTimeEqual } from './const-time.ts';
import type { AeadEncr, CbcEncr, EncrAlgorithm } from './encr.ts';
import type { IntegAlgorithm } from './integ.ts';

export interface AuthCipher {
  readonly encr: EncrAlgorithm;
  readonly integ: IntegAlgorithm | undefined;
  readonly ivLength: number;
  readonly icvLength: number;
  /** Plaintext length must be a multiple of this. */
  readonly blockSize: number;
  /** Returns ciphertext | ICV. The plaintext must already be padded to blockSize. */
  seal(authPrefix: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Returns the plaintext, or undefined when the ICV does not verify or the lengths are wrong. Never throws. */
  open(authPrefix: Uint8Array, iv: Uint8Array, ciphertextAndIcv: Uint8Array): Uint8Array | undefined;
  /**
   * A fresh IV for the next seal: an 8-byte counter for AEADs (unique per key is all they need),
   * random for CBC (RFC 7296 3.14: CBC IVs must be unpredictable). The AEAD counter starts at a
   * random value, so even a second cipher object built over the same key will not repeat IVs in practice.
   */
  nextIv(): Uint8Array;
  /** Zeroes the key material this cipher holds (the SA is gone); it must not be used afterwards. */
  wipe(): void;
}

export interface AuthCipherKeys {
  encr: EncrAlgorithm;
  /** encr.keyLength bytes: cipher key followed by the salt for AEADs. */
  encrKey: Uint8Array;
  integ?: IntegAlgorithm;
  integKey?: Uint8Array;
  random: Random;
}

/** Builds a keyed cipher. Wrong key sizes or a missing integrity algorithm are programming errors and throw. */
export function createAuthCipher(keys: AuthCipherKeys): AuthCipher {
  const { encr, encrKey, integ, integKey, random } = keys;
  if (encrKey.length !== encr.keyLength) throw new Error(`${encr.name} needs ${encr.keyLength} key bytes, got ${encrKey.length}`);
  if (encr.aead) {
    if (integ) throw new Error(`${encr.name} is an AEAD and takes no integrity algorithm`);
    return aeadCipher(encr, encrKey, random);
  }
  if (!integ || !integKey) throw new Error(`${encr.name} needs an integrity algorithm and key`);
  if (integKey.length !== integ.keyLength) throw new Error(`${integ.name} needs ${integ.keyLength} key bytes, got ${integKey.length}`);
  return cbcHmacCipher(encr, encrKey, integ, integKey, random);
}

function aeadCipher(encr: AeadEncr, encrKey: Uint8Array, random: Random): AuthCipher {
  // The key is set up once for the SA (a native backend imports it into the library here).
  const aead = encr.cipher(encrKey.subarray(0, encr.cipherKeyLength));
  const salt = encrKey.slice(encr.cipherKeyLength);
  const nonce = (iv: Uint8Array): Uint8Array => {
    const n = new Uint8Array(12);
    n.set(salt, 0);
    n.set(iv, 4);
    return n;
  };
  let counter = 0n;
  let counterSeeded = false;
  return {
    encr,
    integ: undefined,
    ivLength: encr.ivLength,
    icvLength: encr.icvLength,
    blockSize: encr.blockSize,
    seal(authPrefix, iv, plaintext) {
      if (iv.length !== encr.ivLength) throw new Error(`${encr.name} IV must be ${encr.ivLength} bytes`);
      return aead.seal(nonce(iv), authPrefix, plaintext);
    },
    open(authPrefix, iv, ciphertextAndIcv) {
      if (iv.length !== encr.ivLength || ciphertextAndIcv.length < encr.icvLength) return undefined;
      return aead.open(nonce(iv), authPrefix, ciphertextAndIcv);
    },
    wipe() {
      aead.wipe();
      salt.fill(0);
    },
    nextIv() {
      if (!counterSeeded) {
        // Seeded lazily: ESP derives its IVs from sequence numbers and never asks.
        for (const b of random.bytes(8)) counter = (counter << 8n) | BigInt(b);
        counterSeeded = true;
      }
      counter = (counter + 1n) & 0xffffffffffffffffn;
      const iv = new Uint8Array(8);
      let c = counter;
      for (let i = 7; i >= 0; i--) {
        iv[i] = Number(c & 0xffn);
        c >>= 8n;
      }
      return iv;
    },
  };
}

function cbcHmacCipher(encr: CbcEncr, encrKey: Uint8Array, integ: IntegAlgorithm, integKey: Uint8Array, random: Random): AuthCipher {
  const cbc = encr.cipher(encrKey);
  const mac = integ.keyed(integKey);
  const macInput = (authPrefix: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array => {
    const m = new Uint8Array(authPrefix.length + iv.length + ciphertext.length);
    m.set(authPrefix, 0);
    m.set(iv, authPrefix.length);
    m.set(ciphertext, authPrefix.length + iv.length);
    return m;
  };
  return {
    encr,
    integ,
    ivLength: encr.ivLength,
    icvLength: integ.icvLength,
    blockSize: encr.blockSize,
    seal(authPrefix, iv, plaintext) {
      if (iv.length !== encr.ivLength) throw new Error(`${encr.name} IV must be ${encr.ivLength} bytes`);
      if (plaintext.length % encr.blockSize !== 0) throw new Error(`${encr.name} plaintext must be padded to ${encr.blockSize}`);
      const ciphertext = cbc.encrypt(iv, plaintext);
      const icv = mac.digest(macInput(authPrefix, iv, ciphertext));
      const out = new Uint8Array(ciphertext.length + icv.length);
      out.set(ciphertext, 0);
      out.set(icv, ciphertext.length);
      return out;
    },
    open(authPrefix, iv, ciphertextAndIcv) {
      const ctLength = ciphertextAndIcv.length - integ.icvLength;
      if (iv.length !== encr.ivLength || ctLength < 0 || ctLength % encr.blockSize !== 0) return undefined;
      const ciphertext = ciphertextAndIcv.subarray(0, ctLength);
      const icv = ciphertextAndIcv.subarray(ctLength);
      // Verify before decrypting anything (encrypt-then-MAC).
      if (!constantTimeEqual(icv, mac.digest(macInput(authPrefix, iv, ciphertext)))) return undefined;
      return cbc.decrypt(iv, ciphertext);
    },
    nextIv: () => random.bytes(encr.ivLength),
    wipe() {
      cbc.wipe();
      mac.wipe();
    },
  };
}
