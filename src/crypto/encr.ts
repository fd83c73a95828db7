/**
 * Encryption transforms ikelet speaks, as plain descriptors (no keys):
 * AES-GCM with 16-octet ICV (RFC 4106 / RFC 5282), ChaCha20-Poly1305 (RFC 7634), AES-CBC (RFC 3602).
 */
import { EncrId } from './ids.ts';

export interface EncrAlgorithm {
  readonly id: number;
  /** Key Length attribute in bits; undefined for fixed-key ciphers (ChaCha20 MUST NOT send it). */
  readonly keyBits: number | undefined;
  /** swanctl keyword, e.g. 'aes128gcm16'. */
  readonly name: string;
  /** Combined mode: no separate integrity transform. */
  readonly aead: boolean;
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

function gcm(bits: 128 | 256): EncrAlgorithm {
  const cipherKeyLength = bits / 8;
  return {
    id: EncrId.AES_GCM_16,
    keyBits: bits,
    name: `aes${bits}gcm16`,
    aead: true,
    cipherKeyLength,
    saltLength: 4,
    keyLength: cipherKeyLength + 4,
    ivLength: 8,
    blockSize: 1,
    icvLength: 16,
  };
}

function cbc(bits: 128 | 256): EncrAlgorithm {
  const cipherKeyLength = bits / 8;
  return {
    id: EncrId.AES_CBC,
    keyBits: bits,
    name: `aes${bits}`,
    aead: false,
    cipherKeyLength,
    saltLength: 0,
    keyLength: cipherKeyLength,
    ivLength: 16,
    blockSize: 16,
    icvLength: 0,
  };
}

export const AES128_GCM16 = gcm(128);
export const AES256_GCM16 = gcm(256);
export const CHACHA20_POLY1305: EncrAlgorithm = {
  id: EncrId.CHACHA20_POLY1305,
  keyBits: undefined,
  name: 'chacha20poly1305',
  aead: true,
  cipherKeyLength: 32,
  saltLength: 4,
  keyLength: 36,
  ivLength: 8,
  blockSize: 1,
  icvLength: 16,
};
export const AES128_CBC = cbc(128);
export const AES256_CBC = cbc(256);

export const ENCRS: readonly EncrAlgorithm[] = [AES128_GCM16, AES256_GCM16, CHACHA20_POLY1305, AES128_CBC, AES256_CBC];

/** The descriptor for an ENCR transform ID + key length attribute, if we support it. */
export function findEncr(id: number, keyBits: number | undefined): EncrAlgorithm | undefined {
  return ENCRS.find((e) => e.id === id && e.keyBits === keyBits);
}
