/** HMAC-SHA2-256: the PRF (RFC 4868) and the 128-bit truncated integrity transform. */
import { hmacSha256Key } from '../backend.ts';
import { IntegId, PrfId } from '../ids.ts';
import type { IntegAlgorithm } from '../integ.ts';
import { hmacPrf, macOnce } from '../prf.ts';

const icvKey = (key: Uint8Array) => hmacSha256Key(key, 16);

export const PRF_HMAC_SHA256 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_256, 'prfsha256', 32, hmacSha256Key);

export const HMAC_SHA256_128: IntegAlgorithm = /* @__PURE__ */ Object.freeze({
  kind: 'integ',
  id: IntegId.HMAC_SHA2_256_128,
  name: 'sha256',
  aliases: Object.freeze(['sha2_256']),
  keyLength: 32,
  icvLength: 16,
  mac: (key: Uint8Array, data: Uint8Array) => macOnce(icvKey, key, data),
  keyed: icvKey,
} satisfies IntegAlgorithm);
