/**
 * The per-byte loops of RFC 1662 framing: FCS-16 and FCS-32, unescaping up to a flag, escaping
 * under an ACCM. This file is the reference (Node, xsnap); builds made by Moddable's tools (the
 * ESP32 and its Linux twin) take the same functions from `ikelet/frame` (hosts/native/frame, C),
 * swapped in by scripts/device-modules.ts. Every argument is always given: the C side has no defaults.
 */

const FLAG = 0x7e;
const ESCAPE = 0x7d;

/** Bits of a decoder's state word (`UnescapeState[2]`). */
export const SYNCED = 1; // a flag was seen: bytes before the first one are modem/slirp text
export const ESCAPED = 2; // the last byte was 0x7d
export const OVERFLOW = 4; // the frame outgrew its buffer: dropped at its flag

/** [frame length so far, receive ACCM, SYNCED | ESCAPED | OVERFLOW]: the decoder's whole state between calls. */
export type UnescapeState = Uint32Array;

const FCS16_TABLE = crcTable(0x8408, 16);
const FCS32_TABLE = crcTable(0xedb88320, 32);

function crcTable(polynomial: number, bits: 16 | 32): Uint16Array | Uint32Array {
  const table = bits === 16 ? new Uint16Array(256) : new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let v = b;
    for (let i = 0; i < 8; i++) v = v & 1 ? (v >>> 1) ^ polynomial : v >>> 1;
    table[b] = v;
  }
  return table;
}

/** Continues an FCS-16 (RFC 1662 C.2) over `bytes[start..end)`; `fcs` is 16 bits (the C side refuses more). */
export function fcs16(bytes: Uint8Array, fcs: number, start: number, end: number): number {
  for (let i = start; i < end; i++) fcs = (fcs >>> 8) ^ FCS16_TABLE[(fcs ^ bytes[i]!) & 0xff]!;
  return fcs;
}

/** Continues an FCS-32 (RFC 1662 C.3) over `bytes[start..end)`; unsigned. */
export function fcs32(bytes: Uint8Array, fcs: number, start: number, end: number): number {
  for (let i = start; i < end; i++) fcs = (fcs >>> 8) ^ FCS32_TABLE[(fcs ^ bytes[i]!) & 0xff]!;
  return fcs >>> 0;
}

/**
 * Unescapes `bytes[from..]` onto the frame in `frame` (RFC 1662 4.2: ACCM characters dropped, 0x7d
 * escapes undone; bytes past `frame`'s end only set OVERFLOW) until a flag. Returns the flag's index,
 * or `bytes.length` when there is none; `state` carries the frame across calls.
 */
export function unescapeUntilFlag(bytes: Uint8Array, from: number, frame: Uint8Array, state: UnescapeState): number {
  let length = state[0]!;
  const accm = state[1]!;
  let flags = state[2]!;
  let i = from;
  for (; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === FLAG) break;
    if (!(flags & SYNCED)) continue;
    if (c < 0x20 && (accm >>> c) & 1) continue;
    if (c === ESCAPE) {
      flags |= ESCAPED;
      continue;
    }
    const v = flags & ESCAPED ? c ^ 0x20 : c;
    flags &= ~ESCAPED;
    if (length < frame.length) frame[length++] = v;
    else flags |= OVERFLOW;
  }
  state[0] = length;
  state[2] = flags;
  return i;
}

const escaped = (c: number, accm: number): boolean => c === FLAG || c === ESCAPE || (c < 0x20 && ((accm >>> c) & 1) === 1);

/** How many bytes `bytes` takes on the line once escaped for a peer with receive ACCM `accm`. */
export function escapedLength(bytes: Uint8Array, accm: number): number {
  let length = bytes.length;
  for (let i = 0; i < bytes.length; i++) if (escaped(bytes[i]!, accm)) length++;
  return length;
}

/** Writes `bytes` escaped for `accm` into `out` from `at` (room counted by escapedLength); returns the index after them. */
export function escapeInto(bytes: Uint8Array, accm: number, out: Uint8Array, at: number): number {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (escaped(c, accm)) {
      out[at++] = ESCAPE;
      out[at++] = c ^ 0x20;
    } else out[at++] = c;
  }
  return at;
}
