/** A seeded xorshift32 in [0, 1): fuzz tests replay the same inputs on every run. */
export function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}
