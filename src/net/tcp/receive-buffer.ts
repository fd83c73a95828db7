/**
 * Received bytes of one connection: in-order data waiting for the app, then room for the
 * window, where out-of-order segments are kept at their place. A fixed ring allocated once;
 * at most `maxRanges` separate out-of-order ranges are remembered (more are dropped, and the
 * peer retransmits them), so no wire input can grow the bookkeeping.
 */
interface Range {
  start: number; // offset from RCV.NXT
  end: number;
}

export class ReceiveBuffer {
  private readonly ring: Uint8Array;
  private start = 0;
  private ready = 0;
  private ranges: Range[] = [];
  /** Most bytes ever held, in order or not (for the memory figures). */
  highWater = 0;

  constructor(readonly capacity: number, private readonly maxRanges: number) {
    this.ring = new Uint8Array(capacity);
  }

  /** In-order bytes the app can read. */
  get available(): number {
    return this.ready;
  }

  /** Room from RCV.NXT on: the window this buffer can offer. */
  get window(): number {
    return this.capacity - this.ready;
  }

  get hasOutOfOrder(): boolean {
    return this.ranges.length > 0;
  }

  /**
   * Stores `data` that starts `offset` bytes after RCV.NXT (negative: partly old), clipped to the
   * window. Returns how far RCV.NXT moves (0 for out-of-order data), or -1 when an out-of-order
   * range could not be remembered.
   */
  put(offset: number, data: Uint8Array): number {
    let bytes = data;
    let at = offset;
    if (at < 0) {
      bytes = bytes.subarray(Math.min(bytes.length, -at));
      at = 0;
    }
    const room = this.window - at;
    if (room <= 0 || bytes.length === 0) return 0;
    if (bytes.length > room) bytes = bytes.subarray(0, room);
    if (at > 0 && !this.remember(at, at + bytes.length)) return -1;
    this.copyIn(at, bytes);
    let advance = 0;
    if (at === 0) {
      advance = bytes.length;
      while (this.ranges.length && this.ranges[0]!.start <= advance) advance = Math.max(advance, this.ranges.shift()!.end);
      for (const r of this.ranges) {
        r.start -= advance;
        r.end -= advance;
      }
      this.ready += advance;
    }
    const held = this.ready + (this.ranges.length ? this.ranges[this.ranges.length - 1]!.end : 0);
    if (held > this.highWater) this.highWater = held;
    return advance;
  }

  /** Up to `max` in-order bytes, removed. */
  read(max: number): Uint8Array {
    const n = Math.min(max, this.ready);
    const out = new Uint8Array(n);
    const first = Math.min(n, this.capacity - this.start);
    out.set(this.ring.subarray(this.start, this.start + first), 0);
    if (n > first) out.set(this.ring.subarray(0, n - first), first);
    this.start = (this.start + n) % this.capacity;
    this.ready -= n;
    return out;
  }

  private copyIn(offset: number, bytes: Uint8Array): void {
    const at = (this.start + this.ready + offset) % this.capacity;
    const first = Math.min(bytes.length, this.capacity - at);
    this.ring.set(bytes.subarray(0, first), at);
    if (bytes.length > first) this.ring.set(bytes.subarray(first), 0);
  }

  /** Merges [start, end) into the sorted, disjoint ranges; false when that would exceed maxRanges. */
  private remember(start: number, end: number): boolean {
    let s = start;
    let e = end;
    const kept: Range[] = [];
    let inserted = false;
    for (const r of this.ranges) {
      if (r.end < s) kept.push(r);
      else if (r.start > e) {
        if (!inserted) kept.push({ start: s, end: e });
        inserted = true;
        kept.push(r);
      } else {
        s = Math.min(s, r.start);
        e = Math.max(e, r.end);
      }
    }
    if (!inserted) kept.push({ start: s, end: e });
    if (kept.length > this.maxRanges) return false;
    this.ranges = kept;
    return true;
  }
}
