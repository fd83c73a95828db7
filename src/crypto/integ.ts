/** Integrity algorithms for non-AEAD ciphers: HMAC-SHA2-256-128 (RFC 4868). */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { IntegId } from './ids.ts';

export interface IntegAlgorithm {
  readonly id: number;
  /** swanctl keyword, e.g. 'sha256'. */
  readonly name: string;
  /** Key length in bytes (RFC 4868: the full hash output length). */
  readonly keyLength: number;
  /** Truncated ICV length in bytes. */
  readonly icvLength: number;
  /** The truncated ICV over data. */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
}

export const HMAC_SHA256_128: IntegAlgorithm = {
  id: IntegId.HMAC_SHA2_256_128,
  name: 'sha256',
  keyLength: 32,
  icvLength: 16,
  mac: (key, data) => hmac(sha256, key, data).subarray(0, 16),
};

export const INTEGS: readonly IntegAlgorithm[] = [HMAC_SHA256_128];
