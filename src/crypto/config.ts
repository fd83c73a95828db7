/**
 * The crypto config section: which backend a build's algorithms run on (backend-api.ts). "noble"
 * is pure JS and runs anywhere (Node, xsnap); "native" is the ESP32 build's C module over PSA
 * Crypto and libsodium (hosts/native/crypto), swapped in by the device build
 * (scripts/device-modules.ts). Node and the XS test host always run noble.
 */
import { oneOf } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';

export const CRYPTO_BACKENDS = Object.freeze(['noble', 'native'] as const);
export type CryptoBackendName = (typeof CRYPTO_BACKENDS)[number];

export interface CryptoRaw {
  crypto: CryptoBackendName;
}

export const cryptoSection: ConfigSection<CryptoRaw, CryptoBackendName> = {
  defaults: { crypto: 'noble' },
  checks: { crypto: (v) => oneOf(v, CRYPTO_BACKENDS) },
  parse: (r) => r.crypto,
};
