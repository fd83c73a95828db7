/** IKEv2 pseudo-random functions (HMAC-SHA2, RFC 4868) and prf+ (RFC 7296 2.13). */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { PrfId } from './ids.ts';

export interface PrfAlgorithm {
  readonly id: number;
  /** swanctl keyword, e.g. 'prfsha256'. */
  readonly name: string;
  /** Output length in bytes. */
  readonly outputLength: number;
  /** Preferred key length in bytes (RFC 7296 2.14: SK_d, SK_pi, SK_pr are this long). */
  readonly keyLength: number;
  compute(key: Uint8Array, data: Uint8Array): Uint8Array;
}

function hmacPrf(id: number, name: string, length: number, compute: (key: Uint8Array, data: Uint8Array) => Uint8Array): PrfAlgorithm {
  return { id, name, outputLength: length, keyLength: length, compute };
}

export const PRF_HMAC_SHA256 = hmacPrf(PrfId.HMAC_SHA2_256, 'prfsha256', 32, (k, d) => hmac(sha256, k, d));
export const PRF_HMAC_SHA384 = hmacPrf(PrfId.HMAC_SHA2_384, 'prfsha384', 48, (k, d) => hmac(sha384, k, d));
export const PRF_HMAC_SHA512 = hmacPrf(PrfId.HMAC_SHA2_512, 'prfsha512', 64, (k, d) => hmac(sha512, k, d));

export const PRFS: readonly PrfAlgorithm[] = [PRF_HMAC_SHA256, PRF_HMAC_SHA384, PRF_HMAC_SHA512];

/**
 * prf+ (K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n).
 * The counter is one octet, so at most 255 blocks: asking for more is a programming error.
 */
export function prfPlus(prf: PrfAlgorithm, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const blocks = Math.ceil(length / prf.outputLength);
  if (blocks > 255) throw new Error(`prf+ cannot produce ${length} bytes with ${prf.name}`);
  const out = new Uint8Array(blocks * prf.outputLength);
  let previous: Uint8Array = new Uint8Array(0);
  for (let n = 1; n <= blocks; n++) {
    const input = new Uint8Array(previous.length + seed.length + 1);
    input.set(previous, 0);
    input.set(seed, previous.length);
    input[input.length - 1] = n;
    previous = prf.compute(key, input);
    out.set(previous, (n - 1) * prf.outputLength);
  }
  return out.subarray(0, length);
}
