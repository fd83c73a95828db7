/**
 * The per-byte loop of the internet checksum: the reference (Node, xsnap); builds made by
 * Moddable's tools take the same function from `ikelet/frame` (hosts/native/frame, C), swapped in
 * by scripts/device-modules.ts. Every argument is always given: the C side has no defaults.
 */

/**
 * `acc` plus the 16-bit big-endian words of `data[offset, offset+length)`, an odd trailing byte
 * padded with zero; unfolded (well below 2^53 for any realistic packet).
 */
export function addWords(data: Uint8Array, offset: number, length: number, acc: number): number {
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) acc += (data[i]! << 8) | data[i + 1]!;
  if (i < end) acc += data[i]! << 8;
  return acc;
}
