/**
 * Anti-replay sliding window (RFC 4303 3.4.3) over 32-bit sequence numbers, kept as a circular
 * bitmap indexed by seq mod size (the RFC 6479 layout: advancing the window only clears bits).
 * check() is cheap and runs before the ICV; update() must only run after the ICV verified.
 */
export type ReplayVerdict = 'ok' | 'zero' | 'duplicate' | 'too-old';

export class ReplayWindow {
  private readonly bits: Uint32Array;
  /** Highest sequence number authenticated so far; 0 = nothing received yet. */
  private top = 0;

  constructor(readonly size = 128) {
    if (size < 64 || size % 32 !== 0) throw new Error('replay window must be a multiple of 32, at least 64');
    this.bits = new Uint32Array(size / 32);
  }

  get highest(): number {
    return this.top;
  }

  check(seq: number): ReplayVerdict {
    if (seq === 0) return 'zero'; // never sent (RFC 4303 3.3.3: the first packet has seq 1)
    if (seq > this.top) return 'ok';
    if (this.top - seq >= this.size) return 'too-old';
    return this.isSet(seq) ? 'duplicate' : 'ok';
  }

  /** Records an authenticated sequence number (call check() first). */
  update(seq: number): void {
    if (seq > this.top) {
      const advance = seq - this.top;
      if (advance >= this.size) this.bits.fill(0);
      else for (let s = this.top + 1; s <= seq; s++) this.clear(s);
      this.top = seq;
    }
    this.set(seq);
  }

  private index(seq: number): [number, number] {
    const bit = seq % this.size;
    return [bit >>> 5, 1 << (bit & 31)];
  }

  private isSet(seq: number): boolean {
    const [w, m] = this.index(seq);
    return (this.bits[w]! & m) !== 0;
  }

  private set(seq: number): void {
    const [w, m] = this.index(seq);
    this.bits[w]! |= m;
  }

  private clear(seq: number): void {
    const [w, m] = this.index(seq);
    this.bits[w]! &= ~m;
  }
}
