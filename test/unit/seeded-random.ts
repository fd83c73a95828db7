import type { Random } from '../../src/platform.ts';

/** A deterministic Random for tests (mulberry32): the same seed gives the same bytes. */
export function seededRandom(seed: number): Random & { next(): number } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, bytes: (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)) };
}
