/**
 * TCP segments on the wire (RFC 9293 3.1): parse with the pseudo-header checksum checked and
 * every option length bounded, build with the MSS option on SYNs. Parsing never throws: a bad
 * segment yields the reason it is dropped.
 */
import { finishChecksum, pseudoHeaderSum, sumWords } from '../../ip/checksum.ts';
import { PROTO_TCP } from '../../ip/ipv4.ts';
import { readU16, readU32, writeU16, writeU32 } from '../../util/bytes.ts';
import { err, ok, type Result } from '../../util/result.ts';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

export const TCP_HEADER_LENGTH = 20;
/** The MSS option: kind 2, length 4 (RFC 9293 3.2). */
const MSS_OPTION_LENGTH = 4;
/** RFC 9293 3.7.1: without an MSS option the peer takes at most 536. */
export const DEFAULT_MSS = 536;

/** The header fields every segment has. */
interface SegmentHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
}

export interface Segment extends SegmentHeader {
  /** MSS option when present (SYN segments). */
  mss: number | undefined;
  /** A view into the received packet: copy to keep. */
  payload: Uint8Array;
}

export interface OutgoingSegment extends SegmentHeader {
  mss?: number;
  payload?: Uint8Array;
}

/** SEG.LEN: payload plus one for each of SYN and FIN. */
export const segmentLength = (s: { flags: number; payload: Uint8Array }): number =>
  s.payload.length + (s.flags & SYN ? 1 : 0) + (s.flags & FIN ? 1 : 0);

/** Parses one TCP segment of an IPv4 datagram from `src` to `dst`. */
export function parseSegment(bytes: Uint8Array, src: Uint8Array, dst: Uint8Array): Result<Segment> {
  if (bytes.length < TCP_HEADER_LENGTH) return err('tcp truncated header');
  const headerLength = (bytes[12]! >> 4) * 4;
  if (headerLength < TCP_HEADER_LENGTH || headerLength > bytes.length) return err('tcp bad data offset');
  if (finishChecksum(sumWords(bytes, 0, bytes.length, pseudoHeaderSum(src, dst, PROTO_TCP, bytes.length))) !== 0) return err('tcp bad checksum');
  const flags = bytes[13]!;
  if (flags & SYN && flags & (FIN | RST)) return err('tcp impossible flags');
  if (!(flags & (SYN | ACK | RST))) return err('tcp impossible flags');
  const srcPort = readU16(bytes, 0);
  const dstPort = readU16(bytes, 2);
  if (srcPort === 0 || dstPort === 0) return err('tcp port zero');
  let mss: number | undefined;
  for (let i = TCP_HEADER_LENGTH; i < headerLength; ) {
    const kind = bytes[i]!;
    if (kind === 0) break; // end of option list
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= headerLength) return err('tcp malformed options');
    const length = bytes[i + 1]!;
    if (length < 2 || i + length > headerLength) return err('tcp malformed options');
    if (kind === 2) {
      if (length !== MSS_OPTION_LENGTH) return err('tcp malformed options');
      mss = readU16(bytes, i + 2);
    }
    i += length;
  }
  return ok({ srcPort, dstPort, seq: readU32(bytes, 4), ack: readU32(bytes, 8), flags, window: readU16(bytes, 14), mss, payload: bytes.subarray(headerLength) });
}

/** Header (with the MSS option when given), payload and checksum for a segment from `src` to `dst`. */
export function buildSegment(s: OutgoingSegment, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const headerLength = TCP_HEADER_LENGTH + (s.mss !== undefined ? MSS_OPTION_LENGTH : 0);
  const payload = s.payload;
  const length = headerLength + (payload ? payload.length : 0);
  const b = new Uint8Array(length);
  writeU16(b, 0, s.srcPort);
  writeU16(b, 2, s.dstPort);
  writeU32(b, 4, s.seq);
  writeU32(b, 8, s.ack);
  b[12] = (headerLength / 4) << 4;
  b[13] = s.flags;
  writeU16(b, 14, s.window);
  if (s.mss !== undefined) {
    b[20] = 2;
    b[21] = MSS_OPTION_LENGTH;
    writeU16(b, 22, s.mss);
  }
  if (payload) b.set(payload, headerLength);
  writeU16(b, 16, finishChecksum(sumWords(b, 0, length, pseudoHeaderSum(src, dst, PROTO_TCP, length))));
  return b;
}
