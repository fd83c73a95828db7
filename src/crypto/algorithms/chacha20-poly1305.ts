/** ChaCha20-Poly1305 (RFC 7634). */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { chacha20Poly1305 } from '../encr.ts';

export const CHACHA20_POLY1305 = /* @__PURE__ */ chacha20Poly1305(chacha20poly1305);
