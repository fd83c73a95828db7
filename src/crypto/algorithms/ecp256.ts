/**
 * NIST P-256 (RFC 5903, group 19): KE data is x | y (64 bytes, no 0x04 prefix), and the shared
 * secret is the x coordinate only (RFC 5903 7).
 */
import { p256Key } from '../backend.ts';
import { dhKeyPair, type DhGroup } from '../dh.ts';
import { DhId } from '../ids.ts';

export const ECP256: DhGroup = /* @__PURE__ */ Object.freeze({
  kind: 'dh',
  id: DhId.ECP_256,
  name: 'ecp256',
  aliases: Object.freeze([]),
  publicLength: 64,
  generate(random) {
    for (;;) {
      // Rejection sampling keeps the scalar uniform in [1, n-1]; a retry is astronomically rare.
      const key = p256Key(random.bytes(32));
      if (key) return dhKeyPair(ECP256, key);
    }
  },
  fromPrivate(privateKey) {
    const key = privateKey.length === 32 ? p256Key(privateKey) : undefined;
    if (!key) throw new Error('invalid ecp256 private key');
    return dhKeyPair(ECP256, key);
  },
} satisfies DhGroup);
