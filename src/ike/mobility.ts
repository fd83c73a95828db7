/**
 * A carrier loss without a new IKE SA: how long the link-less SA is kept (config.linkLossHold) and
 * whether the next link can take it over. The session says when (suspended → moving → established);
 * tasks/mobike.ts says what is sent.
 */
import type { Endpoint } from './context.ts';
import type { IkeSa } from './ike-sa.ts';

export class LinkLossHold {
  private until: number | undefined;
  private since = 0;

  constructor(private readonly holdMs: number) {}

  /** The link went: true when the SA is kept. A loss while the SA moves keeps the first loss's clock. */
  keep(now: number, moving: boolean): boolean {
    if (this.holdMs <= 0) return false;
    if (!moving || this.until === undefined) {
      this.until = now + this.holdMs;
      this.since = now;
    }
    return true;
  }

  /** When the kept SA is given up. */
  get deadline(): number | undefined {
    return this.until;
  }

  /** The SA moved to a new link: how long it was without one. */
  over(now: number): number {
    this.until = undefined;
    return now - this.since;
  }

  forget(): void {
    this.until = undefined;
  }
}

/** Without MOBIKE the gateway follows only a peer it sees behind a NAT (RFC 7296 2.23): a new address without NAT-T needs a new IKE SA. */
export function canFollow(sa: IkeSa, previous: Endpoint, next: Endpoint): boolean {
  return sa.mobike || sa.natT || previous.address === next.address;
}
