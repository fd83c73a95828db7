/** HMAC-SHA2-384 and -512: the PRFs and the half-length integrity transforms (RFC 4868). */
import { hmacSha384Key, hmacSha512Key } from '../backend.ts';
import { IntegId, PrfId } from '../ids.ts';
import { hmacInteg } from '../integ.ts';
import { hmacPrf } from '../prf.ts';

// RFC 4231 case 2 ("Jefe", "what do ya want for nothing?").
const JEFE = { key: '4a656665', data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f' };
export const PRF_HMAC_SHA384 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_384, 'prfsha384', 48, hmacSha384Key, { ...JEFE, mac: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649' });
export const PRF_HMAC_SHA512 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_512, 'prfsha512', 64, hmacSha512Key, { ...JEFE, mac: '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737' });
export const HMAC_SHA384_192 = /* @__PURE__ */ hmacInteg(IntegId.HMAC_SHA2_384_192, 'sha384', ['sha2_384'], 48, 24, (key) => hmacSha384Key(key, 24), { ...JEFE, mac: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47' });
export const HMAC_SHA512_256 = /* @__PURE__ */ hmacInteg(IntegId.HMAC_SHA2_512_256, 'sha512', ['sha2_512'], 64, 32, (key) => hmacSha512Key(key, 32), { ...JEFE, mac: '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' });
