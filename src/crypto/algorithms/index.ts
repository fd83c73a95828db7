/**
 * Every algorithm ikelet speaks, one module per noble primitive. Only catalog.ts (and tests)
 * import this; a device build replaces the catalog with one that imports just the configured
 * algorithms (scripts/build-lib.ts), so the rest is never bundled.
 */
export { AES128_GCM16, AES256_GCM16 } from './aes-gcm.ts';
export { CHACHA20_POLY1305 } from './chacha20-poly1305.ts';
export { AES128_CBC, AES256_CBC } from './aes-cbc.ts';
export { PRF_HMAC_SHA256, HMAC_SHA256_128 } from './hmac-sha256.ts';
export { PRF_HMAC_SHA384, PRF_HMAC_SHA512 } from './hmac-sha512.ts';
export { CURVE25519 } from './x25519.ts';
export { ECP256 } from './ecp256.ts';
// Issue 22: the suites commercial gateways require.
export { AES192_GCM16 } from './aes-gcm.ts';
export { AES192_CBC } from './aes-cbc.ts';
export { HMAC_SHA384_192, HMAC_SHA512_256 } from './hmac-sha512.ts';
export { PRF_HMAC_SHA1, HMAC_SHA1_96 } from './hmac-sha1.ts';
export { ECP384 } from './ecp384.ts';
export { ECP521 } from './ecp521.ts';
export { MODP2048, MODP3072, MODP4096 } from './modp.ts';
