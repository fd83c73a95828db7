/**
 * Retransmission of our one outstanding request (RFC 7296 2.1, 2.4): the initiator alone
 * retransmits; the wait doubles after each try and the exchange gives up after `tries`.
 * Default: sends at 0, 1, 3, 7, 15 s, gives up at 31 s.
 */
export interface RetransmitPolicy {
  firstTimeoutMs: number;
  tries: number; // transmissions in total, the first one included
  factor: number;
}

export const DEFAULT_RETRANSMIT: RetransmitPolicy = Object.freeze({ firstTimeoutMs: 1000, tries: 5, factor: 2 });

export type RetransmitVerdict = 'resend' | 'give-up' | 'wait';

export class Retransmitter {
  private sentCount = 0;
  private nextAt: number | undefined;
  private policy: RetransmitPolicy;

  constructor(private readonly usual: RetransmitPolicy = DEFAULT_RETRANSMIT) {
    this.policy = usual;
  }

  /** The first transmission of a new request; `policy`: this request's own (a task that has a quicker way out). */
  sent(now: number, policy: RetransmitPolicy = this.usual): void {
    this.policy = policy;
    this.sentCount = 1;
    this.nextAt = now + this.policy.firstTimeoutMs;
  }

  /** The response arrived: no more timer. */
  stop(): void {
    this.nextAt = undefined;
    this.sentCount = 0;
  }

  get active(): boolean {
    return this.nextAt !== undefined;
  }

  get transmissions(): number {
    return this.sentCount;
  }

  deadline(): number | undefined {
    return this.nextAt;
  }

  /** Called when the timer fires: decides whether to resend (and re-arms) or give up. */
  onTimer(now: number): RetransmitVerdict {
    if (this.nextAt === undefined || now < this.nextAt) return 'wait';
    if (this.sentCount >= this.policy.tries) {
      this.nextAt = undefined;
      return 'give-up';
    }
    const timeout = this.policy.firstTimeoutMs * this.policy.factor ** this.sentCount;
    this.sentCount++;
    this.nextAt = now + timeout;
    return 'resend';
  }
}
