/** HMAC-SHA2-384 and -512 PRFs (RFC 4868): both on noble's 64-bit SHA-512 core. */
import { sha384, sha512 } from '@noble/hashes/sha2.js';
import { PrfId } from '../ids.ts';
import { hmacPrf } from '../prf.ts';

export const PRF_HMAC_SHA384 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_384, 'prfsha384', sha384);
export const PRF_HMAC_SHA512 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_512, 'prfsha512', sha512);
