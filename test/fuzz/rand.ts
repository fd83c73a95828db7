/**
 * The fuzzers' one seeded generator (sfc32, seeded through a 32-bit mixer). Every input is made
 * from its own Rand(seed, input index), and every episode's state from Rand(seed, episode): any
 * input can be made again from its seed and index alone.
 */
import type { Random } from '../../src/platform.ts';

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Rand implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    const s = mix32(mix32(seed >>> 0) ^ mix32((stream >>> 0) + 0x9e3779b9) ^ Math.floor(stream / 0x100000000));
    this.a = mix32(s + 1);
    this.b = mix32(s + 2);
    this.c = mix32(s + 3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The generator of input `index` of a run with `seed`. */
  static input(seed: number, index: number): Rand {
    return new Rand(seed, index * 2 + 1);
  }

  /** The generator of an episode's state (odd streams are inputs, even ones episodes). */
  static episode(seed: number, episode: number): Rand {
    return new Rand(seed, episode * 2);
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    return this.u32() / 0x100000000;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of choices) total += w;
    let r = this.next() * total;
    for (const [w, v] of choices) {
      r -= w;
      if (r < 0) return v;
    }
    return choices[choices.length - 1]![1];
  }

  byte(): number {
    return this.u32() & 0xff;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const v = this.u32();
      out[i] = v;
      if (i + 1 < length) out[i + 1] = v >>> 8;
      if (i + 2 < length) out[i + 2] = v >>> 16;
      if (i + 3 < length) out[i + 3] = v >>> 24;
    }
    return out;
  }
}
