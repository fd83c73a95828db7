/** PPP protocol numbers and control-protocol codes used across the PPP layer. */

export const PROTO_IPV4 = 0x0021;
export const PROTO_IPCP = 0x8021;
export const PROTO_LCP = 0xc021;
export const PROTO_PAP = 0xc023;
export const PROTO_CHAP = 0xc223;

/** Codes shared by every RFC 1661 control protocol (LCP, IPCP). */
export const CODE = Object.freeze({
  configureRequest: 1,
  configureAck: 2,
  configureNak: 3,
  configureReject: 4,
  terminateRequest: 5,
  terminateAck: 6,
  codeReject: 7,
  // LCP only
  protocolReject: 8,
  echoRequest: 9,
  echoReply: 10,
  discardRequest: 11,
} as const);

export function protocolName(protocol: number): string {
  switch (protocol) {
    case PROTO_IPV4: return 'IPv4';
    case PROTO_IPCP: return 'IPCP';
    case PROTO_LCP: return 'LCP';
    case PROTO_PAP: return 'PAP';
    case PROTO_CHAP: return 'CHAP';
    default: return `0x${protocol.toString(16).padStart(4, '0')}`;
  }
}
