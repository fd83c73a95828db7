/** HMAC-SHA2-384 and -512 PRFs (RFC 4868). */
import { hmacSha384Key, hmacSha512Key } from '../backend.ts';
import { PrfId } from '../ids.ts';
import { hmacPrf } from '../prf.ts';

export const PRF_HMAC_SHA384 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_384, 'prfsha384', 48, hmacSha384Key);
export const PRF_HMAC_SHA512 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_512, 'prfsha512', 64, hmacSha512Key);
