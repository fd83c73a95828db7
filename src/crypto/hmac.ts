/** HMAC under one key for many messages (prf+ blocks, ESP packets): the key's setup is done once. */
import { hmac } from '@noble/hashes/hmac.js';

export type HmacHash = Parameters<typeof hmac>[0];

export interface KeyedHmac {
  /** HMAC(key, data), truncated to `length` when one was given. */
  digest(data: Uint8Array): Uint8Array;
  /** Zeroes the hash states derived from the key. */
  wipe(): void;
}

/**
 * noble hashes the key's inner and outer pad blocks when an HMAC is created; cloning that instance
 * per message saves two compression-function calls each time (of five for a short SHA-256 input).
 */
export function keyedHmac(hash: HmacHash, key: Uint8Array, length?: number): KeyedHmac {
  const base = hmac.create(hash, key);
  return {
    digest(data) {
      const out = base.clone().update(data).digest();
      return length === undefined ? out : out.subarray(0, length);
    },
    wipe: () => base.destroy(),
  };
}
