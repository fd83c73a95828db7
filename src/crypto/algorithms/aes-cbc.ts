/** AES-CBC, 128 and 256 bit keys (RFC 3602); needs an integrity transform. */
import { cbc } from '@noble/ciphers/aes.js';
import { aesCbc } from '../encr.ts';

export const AES128_CBC = /* @__PURE__ */ aesCbc(128, cbc);
export const AES256_CBC = /* @__PURE__ */ aesCbc(256, cbc);
