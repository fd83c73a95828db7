/**
 * Key exchange groups as descriptors (the groups themselves: src/crypto/algorithms/x25519.ts,
 * ecp256.ts; their primitives from the backend, backend-api.ts). With noble, public keys come from noble's table-free constant-time paths: its fixed-base
 * getPublicKey first builds a base-point table, in XS one turn of 13.7 M (x25519) / 16.4 M (P-256)
 * computrons and 110 / 88 KiB of device heap kept for good, to speed up a key the agent makes
 * once per IKE SA (table-free: 0.96 M / 2.3 M; see `npm run bench:xs`).
 */
import type { Random } from '../platform.ts';
import type { DhKey } from './backend-api.ts';
import type { DhAnswer } from './known-answer.ts';

export interface DhKeyPair {
  readonly group: DhGroup;
  /** The KE payload key exchange data. */
  readonly publicKey: Uint8Array;
  /** The shared secret g^ir, or undefined when the peer's value is malformed or degenerate. Never throws. */
  computeShared(peerPublic: Uint8Array): Uint8Array | undefined;
  /** Zeroes the private value once it has served: computeShared yields undefined afterwards. */
  wipe(): void;
}

export interface DhGroup {
  readonly kind: 'dh';
  readonly id: number;
  /** swanctl keyword, e.g. 'x25519'. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** Length of the KE payload data. */
  readonly publicLength: number;
  generate(random: Random): DhKeyPair;
  /** Deterministic key pair from a private value (known-answer tests). Throws on an invalid private key. */
  fromPrivate(privateKey: Uint8Array): DhKeyPair;
  /** Its known answer (the boot self-test, self-test.ts). */
  readonly knownAnswer: DhAnswer;
}

/** A group's key pair over the backend's key: it refuses wrong lengths, bad points and a wiped key. */
export function dhKeyPair(group: DhGroup, key: DhKey): DhKeyPair {
  return { group, publicKey: key.publicKey, computeShared: (peer) => key.shared(peer), wipe: () => key.wipe() };
}
