/** Curve25519 (RFC 8031, group 31): KE data and shared secret are 32-byte u-coordinates. */
import { x25519Key } from '../backend.ts';
import { dhKeyPair, type DhGroup } from '../dh.ts';
import { DhId } from '../ids.ts';

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
    return dhKeyPair(CURVE25519, x25519Key(privateKey));
  },
} satisfies DhGroup);
