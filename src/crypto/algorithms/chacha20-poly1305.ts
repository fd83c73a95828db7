/** ChaCha20-Poly1305 (RFC 7634). */
import { chacha20Poly1305Key } from '../backend.ts';
import { chacha20Poly1305 } from '../encr.ts';

export const CHACHA20_POLY1305 = /* @__PURE__ */ chacha20Poly1305(chacha20Poly1305Key);
