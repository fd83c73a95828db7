/** AES-GCM with a 16-octet ICV, 128 and 256 bit keys (RFC 4106, RFC 5282). */
import { aesGcmKey } from '../backend.ts';
import { aesGcm16 } from '../encr.ts';

export const AES128_GCM16 = /* @__PURE__ */ aesGcm16(128, aesGcmKey);
export const AES256_GCM16 = /* @__PURE__ */ aesGcm16(256, aesGcmKey);
