/** Received bytes waiting to be read, as test sockets keep them: chunks in, any count out. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.total += bytes.length;
  }

  /** Up to `count` bytes (all when omitted) as a fresh ArrayBuffer; undefined when empty. */
  take(count?: number): ArrayBuffer | undefined {
    if (this.total === 0) return undefined;
    const n = Math.min(count ?? this.total, this.total);
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const head = this.chunks[0]!;
      const take = Math.min(head.length, n - o);
      out.set(head.subarray(0, take), o);
      o += take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    this.total -= n;
    return out.buffer;
  }
}
