/** AES-CBC, 128 and 256 bit keys (RFC 3602); needs an integrity transform. */
import { aesCbcKey } from '../backend.ts';
import { aesCbc } from '../encr.ts';

export const AES128_CBC = /* @__PURE__ */ aesCbc(128, aesCbcKey);
export const AES256_CBC = /* @__PURE__ */ aesCbc(256, aesCbcKey);
