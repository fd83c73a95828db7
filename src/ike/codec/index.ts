/** IKEv2 message codec (RFC 7296 section 3). */
export * from './constants.ts';
export * from './types.ts';
export { decodeHeader } from './header.ts';
export { encodeMessage, decodeMessage } from './message.ts';
export type { DecodedMessage } from './message.ts';
export * from './find.ts';
export * from './build.ts';
export { payloadTypeOf } from './payloads.ts';
