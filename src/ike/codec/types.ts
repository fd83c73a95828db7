/** Typed IKEv2 messages and payloads (RFC 7296 section 3). */
import type { Transform } from '../../crypto/ids.ts';

export interface Proposal {
  /** Proposal number, 1-based (RFC 7296 3.3.1). */
  number: number;
  protocolId: number;
  /** Empty for IKE_SA_INIT; 8 bytes for an IKE rekey; 4 bytes for ESP. */
  spi: Uint8Array;
  transforms: Transform[];
}

export interface TrafficSelector {
  tsType: number; // TsType
  ipProtocol: number; // 0 = any
  startPort: number;
  endPort: number;
  startAddress: Uint8Array; // 4 bytes (IPv4) or 16 (IPv6)
  endAddress: Uint8Array;
}

export interface CpAttribute {
  type: number; // CpAttributeType
  value: Uint8Array; // empty in a request means "please assign"
}

export type Payload =
  | { kind: 'SA'; proposals: Proposal[] }
  | { kind: 'KE'; group: number; data: Uint8Array }
  /** `body`: the payload body as on the wire (type, reserved octets, data): what AUTH is computed over. */
  | { kind: 'IDi'; idType: number; data: Uint8Array; body: Uint8Array }
  | { kind: 'IDr'; idType: number; data: Uint8Array; body: Uint8Array }
  | { kind: 'AUTH'; method: number; data: Uint8Array }
  | { kind: 'Nonce'; data: Uint8Array }
  | { kind: 'N'; protocolId: number; spi: Uint8Array; notifyType: number; data: Uint8Array }
  | { kind: 'D'; protocolId: number; spiSize: number; spis: Uint8Array[] }
  | { kind: 'TSi'; selectors: TrafficSelector[] }
  | { kind: 'TSr'; selectors: TrafficSelector[] }
  | { kind: 'CP'; cfgType: number; attributes: CpAttribute[] }
  | { kind: 'V'; data: Uint8Array }
  /** RFC 7296 3.6: `encoding` 4 = an X.509 certificate (signature), its DER in `data`. */
  | { kind: 'CERT'; encoding: number; data: Uint8Array }
  /** RFC 7296 3.7: for encoding 4, the SHA-1 hashes of the SubjectPublicKeyInfo of the CAs the peer trusts (20 bytes each). */
  | { kind: 'CERTREQ'; encoding: number; authorities: Uint8Array[] }
  /** A payload we do not interpret (EAP, or an unknown non-critical type): kept as raw body bytes. */
  | { kind: 'raw'; type: number; critical: boolean; body: Uint8Array };

export type PayloadKind = Payload['kind'];
export type PayloadOf<K extends PayloadKind> = Extract<Payload, { kind: K }>;

export interface IkeMessage {
  spiI: Uint8Array; // 8 bytes
  spiR: Uint8Array; // 8 bytes, zero in the first IKE_SA_INIT request
  exchange: number; // ExchangeType
  /** I flag: sent by the original initiator of the IKE SA. */
  initiator: boolean;
  /** R flag: this message is a response. */
  response: boolean;
  messageId: number;
  /** Payloads outside encryption (all of them in IKE_SA_INIT). */
  payloads: Payload[];
  /**
   * Payloads inside the SK payload. Present (possibly empty, e.g. a DPD request) exactly when the
   * message carries an SK payload, which is always the last one (RFC 7296 3.14).
   */
  encrypted?: Payload[];
}

/** The fixed header as read off the wire (before anything is decrypted). */
export interface IkeHeader {
  spiI: Uint8Array;
  spiR: Uint8Array;
  nextPayload: number;
  majorVersion: number;
  minorVersion: number;
  exchange: number;
  initiator: boolean;
  response: boolean;
  /** V flag: the sender could speak a higher major version. */
  higherVersion: boolean;
  messageId: number;
  length: number;
}

/**
 * Why a message did not decode. What a caller does with it (RFC 7296 2.5, 2.21):
 *  - 'unsupported-critical': answer a request with N(UNSUPPORTED_CRITICAL_PAYLOAD), data = the payloadType octet
 *  - 'bad-version': answer a request with N(INVALID_MAJOR_VERSION)
 *  - 'icv': drop silently (unauthenticated)
 *  - the rest: drop; once the message is authenticated INVALID_SYNTAX may be sent
 */
export type IkeParseErrorCode =
  | 'truncated' // fewer bytes than a header or length field needs
  | 'bad-length' // a length field disagrees with the bytes around it
  | 'bad-version'
  | 'bad-syntax' // a field value that RFC 7296 forbids
  | 'unsupported-critical'
  | 'sk-not-last'
  | 'no-keys' // message has an SK payload but no cipher was given
  | 'icv' // SK integrity check failed
  | 'fragment' // an SKF payload: src/ike/fragments.ts reassembles it
  | 'bad-padding';

export interface IkeParseError {
  code: IkeParseErrorCode;
  message: string;
  /** For 'unsupported-critical': the payload type to report. */
  payloadType?: number;
  /**
   * The message's SK payload verified before this error was found: the peer really sent it, so a
   * request gets N(INVALID_SYNTAX) or N(UNSUPPORTED_CRITICAL_PAYLOAD) instead of silence (RFC 7296 2.21.2).
   */
  authenticated?: boolean;
}

import type { Result } from '../../util/result.ts';

export type DecodeResult<T> = Result<T, IkeParseError>;
