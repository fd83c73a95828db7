/**
 * Key exchange groups as descriptors (the groups themselves: src/crypto/algorithms/x25519.ts,
 * ecp256.ts, ecp384.ts, ecp521.ts, modp.ts; their primitives from the backend, backend-api.ts). With noble, public keys come from noble's table-free constant-time paths: its fixed-base
 * getPublicKey first builds a base-point table, in XS one turn of 13.7 M (x25519) / 16.4 M (P-256)
 * computrons and 110 / 88 KiB of device heap kept for good, to speed up a key the agent makes
 * once per IKE SA (table-free: 0.96 M / 2.3 M; see `npm run bench:xs`).
 */
import type { Random } from '../platform.ts';
import type { DhKey, ModpGroupId } from './backend-api.ts';
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

/** A NIST curve group (RFC 5903): `key` is the backend's p256Key/p384Key/p521Key, which refuses a scalar of 0 or >= n. */
export function nistGroup(id: number, name: string, scalarLength: number, key: (secret: Uint8Array) => DhKey | undefined, answer: DhAnswer): DhGroup {
  const group: DhGroup = Object.freeze({
    kind: 'dh', id, name, aliases: Object.freeze([]), publicLength: answer.publicKey.length / 2,
    generate(random: Random) {
      for (;;) {
        // Rejection sampling keeps the scalar uniform in [1, n-1]; a retry is astronomically rare
        // (P-521: the top 7 bits of the 66 bytes are cleared first, or half the draws would miss).
        const secret = random.bytes(scalarLength);
        if (scalarLength === 66) secret[0]! &= 0x01;
        const k = key(secret);
        if (k) return dhKeyPair(group, k);
      }
    },
    fromPrivate(privateKey: Uint8Array) {
      const k = privateKey.length === scalarLength ? key(privateKey) : undefined;
      if (!k) throw new Error(`invalid ${name} private key`);
      return dhKeyPair(group, k);
    },
    knownAnswer: Object.freeze(answer),
  } satisfies DhGroup);
  return group;
}

/** An RFC 3526 MODP group over the backend's modpKey; `exponentLength`: private exponent bytes drawn per key pair. */
export function modpGroup(id: ModpGroupId, exponentLength: number, key: (group: ModpGroupId, secret: Uint8Array) => DhKey, answer: DhAnswer): DhGroup {
  const group: DhGroup = Object.freeze({
    kind: 'dh', id, name: `modp${{ 14: 2048, 15: 3072, 16: 4096 }[id]}`, aliases: Object.freeze([]), publicLength: answer.publicKey.length / 2,
    generate(random: Random) {
      for (;;) {
        const secret = random.bytes(exponentLength);
        if (secret.some((b) => b !== 0)) return dhKeyPair(group, key(id, secret));
      }
    },
    fromPrivate(privateKey: Uint8Array) {
      if (privateKey.length === 0 || privateKey.length > answer.publicKey.length / 2) throw new Error(`invalid modp group ${id} private exponent`);
      return dhKeyPair(group, key(id, privateKey));
    },
    knownAnswer: Object.freeze(answer),
  } satisfies DhGroup);
  return group;
}
