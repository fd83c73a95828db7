/** The fixed 28-byte IKE header (RFC 7296 3.1). */
import { readU32, writeU32 } from '../../util/bytes.ts';
import { HeaderFlag, IKE_HEADER_LENGTH, IKE_VERSION } from './constants.ts';
import { fail } from './errors.ts';
import type { DecodeResult, IkeHeader } from './types.ts';

/**
 * Reads the header only, so a caller can find the IKE SA (by SPI) and its keys before decoding the rest.
 * Checks the length field against the datagram, but not the version (decodeMessage does).
 */
export function decodeHeader(bytes: Uint8Array): DecodeResult<IkeHeader> {
  if (bytes.length < IKE_HEADER_LENGTH) return fail('truncated', `IKE header needs ${IKE_HEADER_LENGTH} bytes, got ${bytes.length}`);
  const length = readU32(bytes, 24);
  if (length !== bytes.length) return fail('bad-length', `IKE length field ${length} but datagram has ${bytes.length} bytes`);
  const flags = bytes[19]!;
  return {
    ok: true,
    value: {
      spiI: bytes.slice(0, 8),
      spiR: bytes.slice(8, 16),
      nextPayload: bytes[16]!,
      majorVersion: bytes[17]! >> 4,
      minorVersion: bytes[17]! & 0x0f,
      exchange: bytes[18]!,
      initiator: (flags & HeaderFlag.INITIATOR) !== 0,
      response: (flags & HeaderFlag.RESPONSE) !== 0,
      higherVersion: (flags & HeaderFlag.VERSION) !== 0,
      messageId: readU32(bytes, 20),
      length,
    },
  };
}

export interface HeaderFields {
  spiI: Uint8Array;
  spiR: Uint8Array;
  exchange: number;
  initiator: boolean;
  response: boolean;
  messageId: number;
}

export function writeHeader(out: Uint8Array, h: HeaderFields, nextPayload: number, length: number): void {
  if (h.spiI.length !== 8 || h.spiR.length !== 8) throw new Error('IKE SPIs must be 8 bytes');
  out.set(h.spiI, 0);
  out.set(h.spiR, 8);
  out[16] = nextPayload;
  out[17] = IKE_VERSION;
  out[18] = h.exchange;
  out[19] = (h.initiator ? HeaderFlag.INITIATOR : 0) | (h.response ? HeaderFlag.RESPONSE : 0);
  writeU32(out, 20, h.messageId >>> 0);
  writeU32(out, 24, length);
}
