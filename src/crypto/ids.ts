/** IANA IKEv2 transform numbers (RFC 7296 3.3.2 and the IKEv2 registry) used by ikelet. */

export const TransformType = Object.freeze({
  ENCR: 1,
  PRF: 2,
  INTEG: 3,
  DH: 4,
  ESN: 5,
} as const);

export const EncrId = Object.freeze({
  AES_CBC: 12,
  AES_GCM_16: 20,
  CHACHA20_POLY1305: 28,
} as const);

export const PrfId = Object.freeze({
  HMAC_SHA1: 2,
  HMAC_SHA2_256: 5,
  HMAC_SHA2_384: 6,
  HMAC_SHA2_512: 7,
} as const);

export const IntegId = Object.freeze({
  NONE: 0,
  HMAC_SHA1_96: 2,
  HMAC_SHA2_256_128: 12,
  HMAC_SHA2_384_192: 13,
  HMAC_SHA2_512_256: 14,
} as const);

export const DhId = Object.freeze({
  NONE: 0,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  CURVE25519: 31,
} as const);

export const EsnId = Object.freeze({
  NO: 0,
  YES: 1,
} as const);

/** Transform attribute type 14 (TV format): the key length in bits. */
export const ATTR_KEY_LENGTH = 14;

/** One transform as carried in an SA payload proposal. */
export interface Transform {
  type: number;
  id: number;
  /** Key Length attribute in bits, only for variable-key ciphers (AES). */
  keyLength?: number;
  /** Set by the decoder when the transform carried an attribute it does not understand (RFC 7296 3.3.6: reject). */
  unknownAttribute?: boolean;
}
