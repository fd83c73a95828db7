/** IKEv2 pseudo-random functions as descriptors (HMAC-SHA2, RFC 4868) and prf+ (RFC 7296 2.13). */
import type { MacKey } from './backend-api.ts';
import type { MacAnswer } from './known-answer.ts';
export interface PrfAlgorithm {
  readonly kind: 'prf';
  readonly id: number;
  /** swanctl keyword, e.g. 'prfsha256'. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** Output length in bytes. */
  readonly outputLength: number;
  /** Preferred key length in bytes (RFC 7296 2.14: SK_d, SK_pi, SK_pr are this long). */
  readonly keyLength: number;
  compute(key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * prf(key, ·) for many inputs under one key: HMAC's two key blocks are hashed once, not per call
   * (prf+ calls it once per output block; two of the five SHA-256 blocks of each are saved).
   */
  keyed(key: Uint8Array): MacKey;
  /** Its known answer (the boot self-test, self-test.ts). */
  readonly knownAnswer: MacAnswer;
}

/** HMAC(key, data) once: the key is set up, used and wiped. */
export function macOnce(keyed: (key: Uint8Array) => MacKey, key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = keyed(key);
  const out = k.digest(data).slice();
  k.wipe();
  return out;
}

/** `keyed`: the backend's HMAC key maker for the PRF's hash, whose output is `outputLength` bytes. */
export function hmacPrf(id: number, name: string, outputLength: number, keyed: (key: Uint8Array) => MacKey, answer: MacAnswer): PrfAlgorithm {
  return Object.freeze({
    kind: 'prf', id, name, aliases: Object.freeze([]), outputLength, keyLength: outputLength,
    compute: (key: Uint8Array, data: Uint8Array) => macOnce(keyed, key, data),
    keyed,
    knownAnswer: Object.freeze(answer),
  } satisfies PrfAlgorithm);
}

/**
 * prf+ (K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n).
 * The counter is one octet, so at most 255 blocks: asking for more is a programming error.
 */
export function prfPlus(prf: PrfAlgorithm, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const blocks = Math.ceil(length / prf.outputLength);
  if (blocks > 255) throw new Error(`prf+ cannot produce ${length} bytes with ${prf.name}`);
  const out = new Uint8Array(blocks * prf.outputLength);
  const prfOfKey = prf.keyed(key);
  let previous: Uint8Array = new Uint8Array(0);
  for (let n = 1; n <= blocks; n++) {
    const input = new Uint8Array(previous.length + seed.length + 1);
    input.set(previous, 0);
    input.set(seed, previous.length);
    input[input.length - 1] = n;
    previous = prfOfKey.digest(input);
    out.set(previous, (n - 1) * prf.outputLength);
  }
  prfOfKey.wipe();
  return out.subarray(0, length);
}
