/**
 * Encryption transforms as descriptors: AES-GCM with 16-octet ICV (RFC 4106 / RFC 5282),
 * ChaCha20-Poly1305 (RFC 7634), AES-CBC (RFC 3602). Each descriptor carries the backend's keyed
 * cipher it needs (backend-api.ts), so a build bundles exactly the ciphers its catalog lists
 * (src/crypto/algorithms/, catalog.ts).
 */
import type { AeadKey, CbcKey } from './backend-api.ts';
import { EncrId } from './ids.ts';
import type { AeadAnswer, CbcAnswer } from './known-answer.ts';

/** The backend's AEAD key maker: aesGcmKey, chacha20Poly1305Key (the cipher key, without salt). */
export type AeadConstructor = (key: Uint8Array) => AeadKey;
/** The backend's aesCbcKey. */
export type CbcConstructor = (key: Uint8Array) => CbcKey;

interface EncrShape {
  readonly kind: 'encr';
  readonly id: number;
  /** Key Length attribute in bits; undefined for fixed-key ciphers (ChaCha20 MUST NOT send it). */
  readonly keyBits: number | undefined;
  /** swanctl keyword, e.g. 'aes128gcm16'. */
  readonly name: string;
  /** Other swanctl spellings of the same transform. */
  readonly aliases: readonly string[];
  /** Cipher key bytes, without salt. */
  readonly cipherKeyLength: number;
  /** Salt bytes taken from keying material after the cipher key (RFC 4106 / 7634: 4). */
  readonly saltLength: number;
  /** Total keying material for this transform: cipherKeyLength + saltLength. */
  readonly keyLength: number;
  /** Explicit IV bytes carried in each packet / SK payload. */
  readonly ivLength: number;
  /** Plaintext must be a multiple of this (1 for stream-like AEADs). */
  readonly blockSize: number;
  /** ICV bytes produced by the AEAD itself; 0 when an integrity transform supplies it. */
  readonly icvLength: number;
}

/** Combined mode: no separate integrity transform. */
export interface AeadEncr extends EncrShape {
  readonly aead: true;
  readonly cipher: AeadConstructor;
  /** Its known answer (the boot self-test, self-test.ts). */
  readonly knownAnswer: AeadAnswer;
}
export interface CbcEncr extends EncrShape {
  readonly aead: false;
  readonly cipher: CbcConstructor;
  /** Its known answer (the boot self-test, self-test.ts). */
  readonly knownAnswer: CbcAnswer;
}
export type EncrAlgorithm = AeadEncr | CbcEncr;

export function aesGcm16(bits: 128 | 192 | 256, cipher: AeadConstructor, answer: AeadAnswer): AeadEncr {
  const cipherKeyLength = bits / 8;
  return Object.freeze({
    kind: 'encr', id: EncrId.AES_GCM_16, keyBits: bits, name: `aes${bits}gcm16`, aliases: Object.freeze([`aes${bits}gcm`]),
    aead: true, cipher, cipherKeyLength, saltLength: 4, keyLength: cipherKeyLength + 4, ivLength: 8, blockSize: 1, icvLength: 16,
    knownAnswer: Object.freeze(answer),
  } as const);
}

export function chacha20Poly1305(cipher: AeadConstructor, answer: AeadAnswer): AeadEncr {
  return Object.freeze({
    kind: 'encr', id: EncrId.CHACHA20_POLY1305, keyBits: undefined, name: 'chacha20poly1305', aliases: Object.freeze([]),
    aead: true, cipher, cipherKeyLength: 32, saltLength: 4, keyLength: 36, ivLength: 8, blockSize: 1, icvLength: 16,
    knownAnswer: Object.freeze(answer),
  } as const);
}

export function aesCbc(bits: 128 | 192 | 256, cipher: CbcConstructor, answer: CbcAnswer): CbcEncr {
  const cipherKeyLength = bits / 8;
  return Object.freeze({
    kind: 'encr', id: EncrId.AES_CBC, keyBits: bits, name: `aes${bits}`, aliases: Object.freeze([]),
    aead: false, cipher, cipherKeyLength, saltLength: 0, keyLength: cipherKeyLength, ivLength: 16, blockSize: 16, icvLength: 0,
    knownAnswer: Object.freeze(answer),
  } as const);
}
