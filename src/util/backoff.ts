/**
 * The one retry policy of the agent (redialling the modem, re-establishing the tunnel): a few
 * quick attempts, then waits that grow from `intervalMs` to `maxIntervalMs` and stay there —
 * the device never gives up. Each wait gets ±20 % jitter so a fleet that lost its gateway at the
 * same moment does not come back in lockstep. A success (or a new link) starts it afresh.
 */
import type { Random } from '../platform.ts';

/** Plain capped exponential backoff: min, 2·min, 4·min … max (the app clients' reconnects). */
export const cappedBackoff = (minMs: number, maxMs: number): BackoffSettings => ({ quickAttempts: 0, quickMs: 0, intervalMs: minMs, maxIntervalMs: maxMs });

export interface BackoffSettings {
  /** Attempts that follow each other quickly (first wait `quickMs`, doubling). */
  quickAttempts: number;
  quickMs: number;
  /** After the quick attempts: the first slow wait, doubling up to the cap. */
  intervalMs: number;
  maxIntervalMs: number;
}

export class Backoff {
  private failures = 0;

  /** Without `random` there is no jitter (tests that need exact waits). */
  constructor(private readonly settings: BackoffSettings, private readonly random?: Random) {}

  /** Failures since the last success or reset. */
  get count(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }

  /**
   * Records a failure and returns the wait before the next attempt. `permanent`: the failure will
   * not go away by itself (the gateway refuses our configuration): once the quick attempts are
   * used up, every wait is the longest.
   */
  fail(permanent = false): number {
    this.failures++;
    const s = this.settings;
    let base: number;
    if (this.failures < s.quickAttempts) base = Math.min(s.quickMs * 2 ** (this.failures - 1), s.intervalMs);
    else if (permanent) base = s.maxIntervalMs;
    else base = Math.min(s.intervalMs * 2 ** Math.min(this.failures - Math.max(s.quickAttempts, 1), 30), s.maxIntervalMs);
    return Math.round(base * (0.8 + 0.4 * this.unit()));
  }

  /** Whether the quick attempts are used up (the next waits are the slow ones). */
  get slow(): boolean {
    return this.failures >= this.settings.quickAttempts;
  }

  private unit(): number {
    if (!this.random) return 0.5;
    const b = this.random.bytes(2);
    return ((b[0]! << 8) | b[1]!) / 0xffff;
  }
}
