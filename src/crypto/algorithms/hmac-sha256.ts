/** HMAC-SHA2-256: the PRF (RFC 4868) and the 128-bit truncated integrity transform. */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { IntegId, PrfId } from '../ids.ts';
import type { IntegAlgorithm } from '../integ.ts';
import { keyedHmac } from '../hmac.ts';
import { hmacPrf } from '../prf.ts';

export const PRF_HMAC_SHA256 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_256, 'prfsha256', sha256);

export const HMAC_SHA256_128: IntegAlgorithm = /* @__PURE__ */ Object.freeze({
  kind: 'integ',
  id: IntegId.HMAC_SHA2_256_128,
  name: 'sha256',
  aliases: Object.freeze(['sha2_256']),
  keyLength: 32,
  icvLength: 16,
  mac: (key: Uint8Array, data: Uint8Array) => hmac(sha256, key, data).subarray(0, 16),
  keyed: (key: Uint8Array) => keyedHmac(sha256, key, 16),
} satisfies IntegAlgorithm);
