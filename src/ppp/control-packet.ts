/**
 * The packet format LCP, IPCP, PAP and CHAP share (RFC 1661 section 5):
 * code, identifier, 16-bit length, data. Octets past the length are padding.
 */
import { readU16, writeU16 } from '../util/bytes.ts';
import type { DropCounter } from '../util/log.ts';

export interface ControlPacket {
  code: number;
  id: number;
  data: Uint8Array;
}

export function buildControlPacket(code: number, id: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  out[0] = code;
  out[1] = id;
  writeU16(out, 2, out.length);
  out.set(data, 4);
  return out;
}

/** Parses one packet of protocol `name`; a malformed one is dropped (counted) and undefined. */
export function parseControlPacket(bytes: Uint8Array, drops: DropCounter, name: string): ControlPacket | undefined {
  if (bytes.length < 4) return void drops.drop(`${name} packet too short`);
  const length = readU16(bytes, 2);
  if (length < 4 || length > bytes.length) return void drops.drop(`${name} bad length`);
  return { code: bytes[0]!, id: bytes[1]!, data: bytes.subarray(4, length) };
}
