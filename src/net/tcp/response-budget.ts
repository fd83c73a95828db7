/**
 * A token bucket for answers to unacceptable segments (RFC 5961 7: challenge ACKs, RSTs for
 * nothing). Each connection has its own: one shared budget lets an off-path attacker learn
 * whether a spoofed segment was in window by counting the answers to its own (CVE-2016-5696).
 */
const BURST = 10;
const PER_S = 10;

export class ResponseBudget {
  private tokens = BURST;
  private at: number | undefined;

  /** One answer now? */
  take(now: number): boolean {
    if (this.at !== undefined) this.tokens = Math.min(BURST, this.tokens + (Math.max(0, now - this.at) * PER_S) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
