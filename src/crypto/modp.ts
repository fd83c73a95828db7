/**
 * RFC 3526 MODP Diffie-Hellman (groups 14, 15, 16) over micro-rsa-dsa-dh's modular
 * exponentiation, for both backends: PSA Crypto's FFDH knows only the RFC 7919 groups (not the
 * RFC 3526 ones IKE uses) and mbedTLS 4 / TF-PSA-Crypto (ESP-IDF 6) no longer exports its bignum,
 * so the device runs this in XS too (docs/gateways.md gives the cost). Not constant time: the
 * exponent is used once per exchange and wiped.
 */
import { DH, DHGroups } from 'micro-rsa-dsa-dh/dh.js';
import type { DhKey, ModpGroupId } from './backend-api.ts';

/** Big-endian bytes of n, `length` long. */
function toBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

function toNumber(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

export function modpKey(group: ModpGroupId, secret: Uint8Array): DhKey {
  const { p } = DHGroups[`modp${group}`]!;
  const length = (p.toString(16).length + 1) >> 1;
  if (secret.length === 0 || secret.length > length) throw new Error(`modp${group}: private exponent of ${secret.length} bytes`);
  const dh = DH({ p, g: 2n });
  // The library takes the exponent at the modulus' length; a shorter one is left-padded with zeros.
  const s = new Uint8Array(length);
  s.set(secret, length - secret.length);
  let live = true;
  return {
    publicKey: toBytes(toNumber(dh.getPublicKey(s)), length),
    shared(peer) {
      if (!live || peer.length !== length) return undefined;
      // RFC 7296 3.4 / RFC 6989 2.1: 1 < y < p-1, or the secret is confined to a tiny subgroup.
      const y = toNumber(peer);
      if (y <= 1n || y >= p - 1n) return undefined;
      try {
        return dh.getSharedSecret(s, peer);
      } catch {
        return undefined;
      }
    },
    wipe() {
      s.fill(0);
      live = false;
    },
  };
}
