/**
 * Byte-level mutation for the fuzzers: bit flips, interesting values, inserted, deleted, repeated
 * and cut bytes; and, where the target names them, its length and count fields set to boundary
 * values or nudged (structure-aware: the fields that drive loops and allocations get the most care).
 */
import type { Rand } from './rand.ts';

/** A field of a message: its offset and width in bytes (big-endian). */
export interface Field {
  at: number;
  size: 1 | 2 | 4;
}

const INTERESTING: Record<Field['size'], readonly number[]> = {
  1: [0, 1, 2, 3, 4, 7, 8, 0x10, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff],
  2: [0, 1, 2, 4, 8, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x7fff, 0x8000, 0xfffe, 0xffff],
  4: [0, 1, 0x7f, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff],
};

function readField(b: Uint8Array, f: Field): number {
  let v = 0;
  for (let i = 0; i < f.size; i++) v = v * 256 + (b[f.at + i] ?? 0);
  return v;
}

function writeField(b: Uint8Array, f: Field, value: number): void {
  let v = value;
  for (let i = f.size - 1; i >= 0; i--) {
    if (f.at + i < b.length) b[f.at + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

/** One edit of a named field: a boundary value, a small nudge, or random. */
function mutateField(rand: Rand, b: Uint8Array, f: Field): void {
  const max = 2 ** (8 * f.size) - 1;
  const old = readField(b, f);
  const v = rand.weighted<() => number>([
    [4, () => rand.pick(INTERESTING[f.size])],
    [3, () => old + rand.pick([-4, -2, -1, 1, 2, 4, 8])],
    [2, () => b.length - rand.int(8)],
    [1, () => rand.int(max + 1)],
  ])();
  writeField(b, f, Math.min(max, Math.max(0, v)));
}

interface MutateOptions {
  /** Fields worth special care (lengths, counts, types); edited about a third of the time when given. */
  fields?: readonly Field[];
  /** Most edits in one mutation (default 4). */
  maxEdits?: number;
  /** Longest result (default: input length + 64). */
  maxLength?: number;
}

/** A mutated copy of `input`. */
export function mutate(rand: Rand, input: Uint8Array, options: MutateOptions = {}): Uint8Array {
  let b: Uint8Array = input.slice();
  const edits = 1 + rand.int(options.maxEdits ?? 4);
  const maxLength = options.maxLength ?? input.length + 64;
  for (let e = 0; e < edits; e++) {
    const fields = options.fields?.filter((f) => f.at + f.size <= b.length);
    if (fields?.length && rand.chance(0.35)) {
      mutateField(rand, b, rand.pick(fields));
      continue;
    }
    b = edit(rand, b, maxLength);
  }
  return b;
}

function edit(rand: Rand, b: Uint8Array, maxLength: number): Uint8Array {
  const at = rand.int(b.length + 1);
  switch (rand.int(9)) {
    case 0:
      if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << rand.int(8);
      return b;
    case 1:
      if (b.length) b[Math.min(at, b.length - 1)] = rand.byte();
      return b;
    case 2:
      if (b.length) b[Math.min(at, b.length - 1)] = rand.pick(INTERESTING[1]);
      return b;
    case 3: {
      // Insert random bytes.
      const n = Math.min(1 + rand.int(16), Math.max(0, maxLength - b.length));
      return splice(b, at, 0, rand.bytes(n));
    }
    case 4:
      return splice(b, at, 1 + rand.int(16), new Uint8Array(0));
    case 5:
      return b.slice(0, at);
    case 6: {
      // Repeat a piece (duplicated payloads, repeated options).
      const from = rand.int(b.length + 1);
      const piece = b.slice(from, from + 1 + rand.int(32));
      return splice(b, at, 0, piece.subarray(0, Math.max(0, maxLength - b.length)));
    }
    case 7: {
      // Copy a piece over another place (a length copied onto a count, a header onto a body).
      const from = rand.int(b.length + 1);
      const piece = b.slice(from, from + 1 + rand.int(8));
      const out = b.slice();
      out.set(piece.subarray(0, Math.max(0, out.length - at)), at);
      return out;
    }
    default:
      if (b.length >= 2) {
        const i = rand.int(b.length - 1);
        const v = rand.pick(INTERESTING[2]);
        b[i] = v >> 8;
        b[i + 1] = v & 0xff;
      }
      return b;
  }
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const cut = Math.min(remove, b.length - at);
  const out = new Uint8Array(b.length - cut + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + cut), at + insert.length);
  return out;
}

/** Random bytes, sometimes long, sometimes biased towards a few values (flags, escapes, CR/LF...). */
export function noise(rand: Rand, maxLength: number, favourites: readonly number[] = []): Uint8Array {
  const n = rand.chance(0.8) ? rand.int(Math.min(maxLength, 64) + 1) : rand.int(maxLength + 1);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = favourites.length && rand.chance(0.3) ? rand.pick(favourites) : rand.byte();
  return out;
}

/** `bytes` cut into 1..n pieces at random places, as a serial line or a socket delivers them. */
export function pieces(rand: Rand, bytes: Uint8Array, most = 4): Uint8Array[] {
  const cuts = new Set<number>();
  const n = rand.int(most);
  for (let i = 0; i < n; i++) cuts.add(rand.int(bytes.length + 1));
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of sorted) {
    out.push(bytes.subarray(at, c));
    at = c;
  }
  out.push(bytes.subarray(at));
  return out;
}

/** Text as bytes (latin1). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Hex for reports, cut at `max` bytes. */
export function hex(bytes: Uint8Array, max = 2048): string {
  let s = '';
  for (let i = 0; i < Math.min(bytes.length, max); i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return bytes.length > max ? `${s}… (${bytes.length} bytes)` : s;
}
