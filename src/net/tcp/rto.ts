/**
 * The retransmission timeout of RFC 6298: SRTT and RTTVAR from RTT samples (the caller follows
 * Karn: no samples from retransmitted segments), RTO = SRTT + max(G, 4 RTTVAR) bounded to
 * [minimum, 60 s], 1 s before the first sample, doubled on every expiry and kept doubled until
 * the next valid sample (Karn). The minimum is RFC 6298's 1 s unless configured lower
 * (tcpRtoMin; Linux uses 200 ms): with random loss most repairs wait for it.
 */
export const INITIAL_RTO_MS = 1000;
export const MIN_RTO_MS = 1000;
export const MAX_RTO_MS = 60_000;
/** RFC 6298 5.7: after a retransmitted SYN, data starts with a 3 s RTO. */
export const SYN_RETRANSMITTED_RTO_MS = 3000;
const CLOCK_GRANULARITY_MS = 10;

export class RtoEstimator {
  constructor(private readonly minRto = MIN_RTO_MS) {}

  private srtt: number | undefined;
  private rttvar = 0;
  private base = INITIAL_RTO_MS;
  private backoff = 0;

  /** The current timeout, with backoff applied. */
  get rto(): number {
    return Math.min(MAX_RTO_MS, this.base * 2 ** this.backoff);
  }

  get smoothedRtt(): number | undefined {
    return this.srtt;
  }

  sample(rtt: number): void {
    const r = Math.max(0, rtt);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.base = Math.min(MAX_RTO_MS, Math.max(this.minRto, this.srtt + Math.max(CLOCK_GRANULARITY_MS, 4 * this.rttvar)));
    this.backoff = 0;
  }

  /** A retransmission timer expired: back off (5.5). */
  expired(): void {
    if (this.rto < MAX_RTO_MS) this.backoff++;
  }

  /** The path was down (no link, no tunnel): the expiries of the outage say nothing about the path now. */
  pathRestored(): void {
    this.backoff = 0;
  }

  /** 5.7: the SYN was retransmitted and no sample exists yet. */
  synRetransmitted(): void {
    if (this.srtt === undefined) this.base = SYN_RETRANSMITTED_RTO_MS;
    this.backoff = 0;
  }
}
