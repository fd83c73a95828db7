/**
 * HMAC-SHA-1: the PRF (RFC 2104) and HMAC-SHA1-96 (RFC 2404). Legacy (RFC 8247 3.2, 3.3: SHOULD
 * NOT / MUST-): only for gateways that offer nothing else; a build naming it is warned.
 */
import { hmacSha1Key } from '../backend.ts';
import { IntegId, PrfId } from '../ids.ts';
import { hmacInteg } from '../integ.ts';
import { hmacPrf } from '../prf.ts';

// RFC 2202 case 2 ("Jefe", "what do ya want for nothing?"), in full and truncated to 96 bits.
const JEFE = { key: '4a656665', data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f' };

export const PRF_HMAC_SHA1 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA1, 'prfsha1', 20, hmacSha1Key, { ...JEFE, mac: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' });
export const HMAC_SHA1_96 = /* @__PURE__ */ hmacInteg(IntegId.HMAC_SHA1_96, 'sha1', ['sha'], 20, 12, (key) => hmacSha1Key(key, 12), { ...JEFE, mac: 'effcdf6ae5eb2fa2d27416d5' });
