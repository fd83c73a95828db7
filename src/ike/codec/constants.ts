/** IKEv2 numbers from RFC 7296 section 3 (and the IANA IKEv2 registry for notify names). */

export const IKE_HEADER_LENGTH = 28;
export const PAYLOAD_HEADER_LENGTH = 4;
/** Major version 2, minor version 0. */
export const IKE_VERSION = 0x20;

export const PayloadType = Object.freeze({
  NONE: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  N: 41,
  D: 42,
  V: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  /** Encrypted Fragment (RFC 7383 2.5). */
  SKF: 53,
} as const);

export const ExchangeType = Object.freeze({
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
} as const);

/** Header flag bits (RFC 7296 3.1). */
export const HeaderFlag = Object.freeze({
  INITIATOR: 0x08,
  VERSION: 0x10,
  RESPONSE: 0x20,
} as const);

export const ProtocolId = Object.freeze({
  NONE: 0,
  IKE: 1,
  AH: 2,
  ESP: 3,
} as const);

export const IdType = Object.freeze({
  IPV4_ADDR: 1,
  FQDN: 2,
  RFC822_ADDR: 3,
  IPV6_ADDR: 5,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
} as const);

export const AuthMethod = Object.freeze({
  RSA_SIG: 1,
  SHARED_KEY_MIC: 2,
  DSS_SIG: 3,
  DIGITAL_SIGNATURE: 14,
} as const);

export const TsType = Object.freeze({
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
} as const);

export const CfgType = Object.freeze({
  REQUEST: 1,
  REPLY: 2,
  SET: 3,
  ACK: 4,
} as const);

export const CpAttributeType = Object.freeze({
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP4_SUBNET: 13,
} as const);

/** Notify message types (RFC 7296 3.10.1 plus the extensions strongSwan sends). Errors are < 16384. */
export const NotifyType = Object.freeze({
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  SINGLE_PAIR_REQUIRED: 34,
  NO_ADDITIONAL_SAS: 35,
  INTERNAL_ADDRESS_FAILURE: 36,
  FAILED_CP_REQUIRED: 37,
  TS_UNACCEPTABLE: 38,
  INVALID_SELECTORS: 39,
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  INITIAL_CONTACT: 16384,
  SET_WINDOW_SIZE: 16385,
  ADDITIONAL_TS_POSSIBLE: 16386,
  IPCOMP_SUPPORTED: 16387,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  /** Must stay absent: ikelet only does tunnel mode. */
  USE_TRANSPORT_MODE: 16391,
  HTTP_CERT_LOOKUP_SUPPORTED: 16392,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  NON_FIRST_FRAGMENTS_ALSO: 16395,
  MOBIKE_SUPPORTED: 16396,
  ADDITIONAL_IP4_ADDRESS: 16397,
  NO_ADDITIONAL_ADDRESSES: 16399,
  UPDATE_SA_ADDRESSES: 16400,
  COOKIE2: 16401,
  NO_NATS_ALLOWED: 16402,
  AUTH_LIFETIME: 16403,
  MULTIPLE_AUTH_SUPPORTED: 16404,
  ANOTHER_AUTH_FOLLOWS: 16405,
  REDIRECT_SUPPORTED: 16406,
  REDIRECT: 16407,
  REDIRECTED_FROM: 16408,
  EAP_ONLY_AUTHENTICATION: 16417,
  CHILDLESS_IKEV2_SUPPORTED: 16418,
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431,
} as const);

const NOTIFY_NAMES = new Map<number, string>(Object.entries(NotifyType).map(([name, value]) => [value, name]));

/** 'NO_PROPOSAL_CHOSEN', or 'NOTIFY(12345)' for types we have no name for. */
export function notifyName(type: number): string {
  return NOTIFY_NAMES.get(type) ?? `NOTIFY(${type})`;
}

/** RFC 7296 3.10.1: types below 16384 report errors. */
export function isErrorNotify(type: number): boolean {
  return type < 16384;
}

const PAYLOAD_NAMES = new Map<number, string>(Object.entries(PayloadType).map(([name, value]) => [value, name]));

export function payloadName(type: number): string {
  return PAYLOAD_NAMES.get(type) ?? `PAYLOAD(${type})`;
}

const EXCHANGE_NAMES = new Map<number, string>(Object.entries(ExchangeType).map(([name, value]) => [value, name]));

export function exchangeName(type: number): string {
  return EXCHANGE_NAMES.get(type) ?? `EXCHANGE(${type})`;
}
