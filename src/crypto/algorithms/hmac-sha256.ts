/** HMAC-SHA2-256: the PRF (RFC 4868) and the 128-bit truncated integrity transform. */
import { hmacSha256Key } from '../backend.ts';
import { IntegId, PrfId } from '../ids.ts';
import { hmacInteg } from '../integ.ts';
import { hmacPrf } from '../prf.ts';

// RFC 4231 case 2 ("Jefe", "what do ya want for nothing?"), in full and truncated (RFC 4868).
const JEFE = { key: '4a656665', data: '7768617420646f2079612077616e7420666f72206e6f7468696e673f' };

export const PRF_HMAC_SHA256 = /* @__PURE__ */ hmacPrf(PrfId.HMAC_SHA2_256, 'prfsha256', 32, hmacSha256Key, { ...JEFE, mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' });

export const HMAC_SHA256_128 = /* @__PURE__ */ hmacInteg(IntegId.HMAC_SHA2_256_128, 'sha256', ['sha2_256'], 32, 16, (key) => hmacSha256Key(key, 16), { ...JEFE, mac: '5bdcc146bf60754e6a042426089575c7' });
