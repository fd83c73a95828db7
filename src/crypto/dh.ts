/**
 * Key exchange groups: Curve25519 (RFC 8031, group 31) and NIST P-256 (RFC 5903, group 19).
 * KE payload data: x25519 = the 32-byte u-coordinate; ecp256 = x | y (64 bytes, no 0x04 prefix),
 * and the ecp256 shared secret is the x coordinate only (RFC 5903 7).
 *
 * Public keys come from noble's table-free constant-time paths. Its fixed-base getPublicKey
 * first builds a base-point table: in XS one turn of 13.7 M (x25519) / 16.4 M (P-256)
 * computrons and 110 / 88 KiB of device heap kept for good, to speed up a key the agent
 * makes once per IKE SA (table-free: 0.96 M / 2.3 M; see `npm run bench:xs`).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import type { Random } from '../platform.ts';
import { DhId } from './ids.ts';

/** u = 9, the Curve25519 base point (RFC 7748 4.1), for the Montgomery ladder. */
const X25519_BASE_U = Uint8Array.of(9, ...new Array<number>(31).fill(0));
/** The P-256 generator as a point noble has no precomputed table for. */
const P256_GENERATOR_UNCACHED = p256.Point.fromAffine(p256.Point.BASE.toAffine());

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
  readonly id: number;
  /** swanctl keyword, e.g. 'x25519'. */
  readonly name: string;
  /** Length of the KE payload data. */
  readonly publicLength: number;
  generate(random: Random): DhKeyPair;
  /** Deterministic key pair from a private value (known-answer tests). Throws on an invalid private key. */
  fromPrivate(privateKey: Uint8Array): DhKeyPair;
}

export const CURVE25519: DhGroup = {
  id: DhId.CURVE25519,
  name: 'x25519',
  publicLength: 32,
  generate(random) {
    return this.fromPrivate(random.bytes(32));
  },
  fromPrivate(privateKey) {
    if (privateKey.length !== 32) throw new Error('x25519 private key must be 32 bytes');
    const secret = privateKey.slice();
    const group = this;
    return {
      group,
      publicKey: x25519.scalarMult(secret, X25519_BASE_U),
      wipe: () => secret.fill(0),
      computeShared(peer) {
        if (peer.length !== 32 || secret.every((b) => b === 0)) return undefined;
        try {
          const shared = x25519.getSharedSecret(secret, peer);
          // RFC 8031 2.3: an all-zero result (low-order point) must be rejected.
          return shared.some((b) => b !== 0) ? shared : undefined;
        } catch {
          return undefined;
        }
      },
    };
  },
};

export const ECP256: DhGroup = {
  id: DhId.ECP_256,
  name: 'ecp256',
  publicLength: 64,
  generate(random) {
    for (;;) {
      // Rejection sampling keeps the scalar uniform in [1, n-1]; a retry is astronomically rare.
      const candidate = random.bytes(32);
      if (p256.utils.isValidSecretKey(candidate)) return this.fromPrivate(candidate);
    }
  },
  fromPrivate(privateKey) {
    if (!p256.utils.isValidSecretKey(privateKey)) throw new Error('invalid ecp256 private key');
    const secret = privateKey.slice();
    const group = this;
    return {
      group,
      publicKey: P256_GENERATOR_UNCACHED.multiply(p256.Point.Fn.fromBytes(secret)).toBytes(false).slice(1),
      wipe: () => secret.fill(0),
      computeShared(peer) {
        if (peer.length !== 64 || secret.every((b) => b === 0)) return undefined;
        const point = new Uint8Array(65);
        point[0] = 0x04;
        point.set(peer, 1);
        try {
          // noble validates that the point is on the curve; compressed form is 0x02/0x03 | x.
          return p256.getSharedSecret(secret, point, true).slice(1);
        } catch {
          return undefined;
        }
      },
    };
  },
};

export const DH_GROUPS: readonly DhGroup[] = [CURVE25519, ECP256];

export function findDhGroup(id: number): DhGroup | undefined {
  return DH_GROUPS.find((g) => g.id === id);
}
