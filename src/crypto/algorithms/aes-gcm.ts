/** AES-GCM with a 16-octet ICV, 128, 192 and 256 bit keys (RFC 4106, RFC 5282). */
import { aesGcmKey } from '../backend.ts';
import { aesGcm16 } from '../encr.ts';

// McGrew-Viega GCM test cases 2 (AES-128) and 14 (AES-256): zero key, nonce and block.
const ZERO = '00000000000000000000000000000000';
export const AES128_GCM16 = /* @__PURE__ */ aesGcm16(128, aesGcmKey, { key: ZERO, nonce: ZERO.slice(8), aad: '', plaintext: ZERO, sealed: '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf' });
export const AES256_GCM16 = /* @__PURE__ */ aesGcm16(256, aesGcmKey, { key: ZERO + ZERO, nonce: ZERO.slice(8), aad: '', plaintext: ZERO, sealed: 'cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919' });
// McGrew-Viega GCM test case 8 (AES-192): zero key, nonce and block.
export const AES192_GCM16 = /* @__PURE__ */ aesGcm16(192, aesGcmKey, { key: ZERO + ZERO.slice(16), nonce: ZERO.slice(8), aad: '', plaintext: ZERO, sealed: '98e7247c07f0fe411c267e4384b0f6002ff58d80033927ab8ef4d4587514f0fb' });
