/**
 * NIST P-256 (RFC 5903, group 19): KE data is x | y (64 bytes, no 0x04 prefix), and the shared
 * secret is the x coordinate only (RFC 5903 7).
 */
import { p256 } from '@noble/curves/nist.js';
import type { DhGroup } from '../dh.ts';
import { DhId } from '../ids.ts';

/** The generator as a point noble has no precomputed table for (see dh.ts). Made per key: a few slots. */
const uncachedGenerator = () => p256.Point.fromAffine(p256.Point.BASE.toAffine());

export const ECP256: DhGroup = /* @__PURE__ */ Object.freeze({
  kind: 'dh',
  id: DhId.ECP_256,
  name: 'ecp256',
  aliases: Object.freeze([]),
  publicLength: 64,
  generate(random) {
    for (;;) {
      // Rejection sampling keeps the scalar uniform in [1, n-1]; a retry is astronomically rare.
      const candidate = random.bytes(32);
      if (p256.utils.isValidSecretKey(candidate)) return ECP256.fromPrivate(candidate);
    }
  },
  fromPrivate(privateKey) {
    if (!p256.utils.isValidSecretKey(privateKey)) throw new Error('invalid ecp256 private key');
    const secret = privateKey.slice();
    return {
      group: ECP256,
      publicKey: uncachedGenerator().multiply(p256.Point.Fn.fromBytes(secret)).toBytes(false).slice(1),
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
} satisfies DhGroup);
