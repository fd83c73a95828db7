/**
 * The bytes of one connection from SND.UNA on: sent-but-unacknowledged, then not yet sent.
 * A fixed ring allocated once, so a connection's memory is known when it is opened.
 */
export class SendBuffer {
  private readonly ring: Uint8Array;
  private start = 0;
  private used = 0;
  /** Most bytes ever held (for the memory figures). */
  highWater = 0;

  constructor(readonly capacity: number) {
    this.ring = new Uint8Array(capacity);
  }

  get length(): number {
    return this.used;
  }

  get free(): number {
    return this.capacity - this.used;
  }

  /** Appends as much of `data` as fits; returns the count taken. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.free);
    const at = (this.start + this.used) % this.capacity;
    const first = Math.min(n, this.capacity - at);
    this.ring.set(data.subarray(0, first), at);
    if (n > first) this.ring.set(data.subarray(first, n), 0);
    this.used += n;
    if (this.used > this.highWater) this.highWater = this.used;
    return n;
  }

  /** Drops `n` acknowledged bytes from the front. */
  consume(n: number): void {
    const k = Math.min(n, this.used);
    this.start = (this.start + k) % this.capacity;
    this.used -= k;
  }

  /** A copy of bytes [offset, offset + length) counted from the front. */
  copy(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const at = (this.start + offset) % this.capacity;
    const first = Math.min(length, this.capacity - at);
    out.set(this.ring.subarray(at, at + first), 0);
    if (length > first) out.set(this.ring.subarray(0, length - first), first);
    return out;
  }
}
