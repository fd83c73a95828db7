/** Integrity algorithms for non-AEAD ciphers (RFC 4868), as descriptors. */
import type { MacKey } from './backend-api.ts';
import type { MacAnswer } from './known-answer.ts';
import { macOnce } from './prf.ts';
export interface IntegAlgorithm {
  readonly kind: 'integ';
  readonly id: number;
  /** swanctl keyword, e.g. 'sha256'. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** Key length in bytes (RFC 4868: the full hash output length). */
  readonly keyLength: number;
  /** Truncated ICV length in bytes. */
  readonly icvLength: number;
  /** The truncated ICV over data. */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** mac(key, ·) for every packet of an SA, the key's setup done once. */
  keyed(key: Uint8Array): MacKey;
  /** Its known answer (the boot self-test, self-test.ts). */
  readonly knownAnswer: MacAnswer;
}

/** An HMAC integrity transform: `icvKey` is the backend's HMAC key maker truncating to `icvLength`. */
export function hmacInteg(id: number, name: string, aliases: readonly string[], keyLength: number, icvLength: number, icvKey: (key: Uint8Array) => MacKey, answer: MacAnswer): IntegAlgorithm {
  return Object.freeze({
    kind: 'integ', id, name, aliases: Object.freeze([...aliases]), keyLength, icvLength,
    mac: (key: Uint8Array, data: Uint8Array) => macOnce(icvKey, key, data),
    keyed: icvKey,
    knownAnswer: Object.freeze(answer),
  } satisfies IntegAlgorithm);
}
