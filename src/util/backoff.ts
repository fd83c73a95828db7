/**
 * Capped exponential backoff with jitter: min, 2·min, 4·min … max, each drawn from its upper
 * half, so a fleet that lost its broker at the same moment does not come back in lockstep.
 */
import type { Random } from '../platform.ts';

export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random?: Random,
  ) {}

  /** The wait before the next try; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    if (!this.random) return ceiling;
    const r = this.random.bytes(2);
    const fraction = ((r[0]! << 8) | r[1]!) / 0xffff;
    return Math.round(ceiling / 2 + (ceiling / 2) * fraction);
  }

  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
