/**
 * RFC 1071 internet checksum. Split into an accumulating sum and a final fold so
 * pseudo-headers and payloads can be summed piecewise without concatenating copies.
 */
import { addWords } from './checksum-words.ts';

/**
 * Adds the 16-bit big-endian words of `data[offset, offset+length)` to `acc`.
 * An odd trailing byte is padded with zero, so only the last piece may have odd length.
 * The result stays unfolded (a plain number well below 2^53 for any realistic packet).
 */
export function sumWords(data: Uint8Array, offset = 0, length = data.length - offset, acc = 0): number {
  return addWords(data, offset, length, acc);
}

/** Folds the carries back in (end-around carry) to get the 16-bit ones' complement sum. */
export function foldSum(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** The checksum field value: ones' complement of the folded sum. */
export function finishChecksum(acc: number): number {
  return ~foldSum(acc) & 0xffff;
}

/** One-shot checksum of a byte range (a received header with its checksum field sums to 0). */
export function internetChecksum(data: Uint8Array, offset = 0, length = data.length - offset, acc = 0): number {
  return finishChecksum(sumWords(data, offset, length, acc));
}

/**
 * The IPv4 pseudo-header sum (RFC 768, RFC 9293 3.1) of a UDP or TCP segment of `length` bytes:
 * add the segment's own words to it and finish.
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return sumWords(src, 0, 4) + sumWords(dst, 0, 4) + protocol + length;
}
