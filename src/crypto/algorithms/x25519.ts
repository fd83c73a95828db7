/** Curve25519 (RFC 8031, group 31): KE data and shared secret are 32-byte u-coordinates. */
import { x25519 } from '@noble/curves/ed25519.js';
import type { DhGroup } from '../dh.ts';
import { DhId } from '../ids.ts';

/** u = 9, the Curve25519 base point (RFC 7748 4.1), for noble's table-free Montgomery ladder. */
function baseU(): Uint8Array {
  const u = new Uint8Array(32);
  u[0] = 9;
  return u;
}

export const CURVE25519: DhGroup = /* @__PURE__ */ Object.freeze({
  kind: 'dh',
  id: DhId.CURVE25519,
  name: 'x25519',
  aliases: Object.freeze(['curve25519']),
  publicLength: 32,
  generate(random) {
    return CURVE25519.fromPrivate(random.bytes(32));
  },
  fromPrivate(privateKey) {
    if (privateKey.length !== 32) throw new Error('x25519 private key must be 32 bytes');
    const secret = privateKey.slice();
    return {
      group: CURVE25519,
      publicKey: x25519.scalarMult(secret, baseU()),
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
} satisfies DhGroup);
