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
  // RFC 7748 6.1 (Alice's key, Bob's public value); u = 0 must be refused (RFC 8031 2.3).
  knownAnswer: Object.freeze({
    secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', publicKey: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    peer: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742', degenerate: '00'.repeat(32),
  }),
} satisfies DhGroup);
