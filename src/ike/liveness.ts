/**
 * When the IKE SA proves the path (the session says when, its tasks what is sent). Liveness costs
 * bytes on a metered link, so:
 *  - DPD (RFC 7296 2.4) only when protected traffic we sent went unanswered for dpdInterval, or
 *    nothing authenticated came from the gateway for dpdIdle;
 *  - NAT keepalives (RFC 3948) only when nothing else went out on 4500 for natKeepalive;
 *  - a one-way path: the gateway answers IKE but its ESP stopped (it sends to a stale NAT mapping,
 *    or lost our CHILD SA): ESP out and none back for twice dpdInterval, a DPD answered in between,
 *    makes an address update from this mapping due (with MOBIKE the DPD itself is that update: a
 *    MOBIKE gateway follows no other message to a new mapping); still silent twice dpdInterval after it, a
 *    CHILD SA rekey (fresh SAs at both ends, or CHILD_SA_NOT_FOUND and a new IKE SA). Each once per
 *    silence: an app whose traffic gets no answer (one-way telemetry) costs two exchanges, not a
 *    stream of them.
 */
import { earliest } from '../util/time.ts';
import type { IkeSettings } from './config.ts';

export class Liveness {
  /** The last authenticated word from the gateway (IKE or ESP). */
  private lastIn = 0;
  /** The first protected packet out since then. */
  private unansweredSince: number | undefined;
  /** The first ESP packet out since the last ESP in: IKE answers do not end it. */
  private espSilentSince: number | undefined;
  /** The steps taken against this silence, and when the last one was. */
  private step: 'none' | 'update' | 'rekey' = 'none';
  private stepAt = 0;
  private lastNatOut = 0;

  constructor(private readonly settings: IkeSettings) {}

  /** The path is proven now (bring-up, a move): every clock starts afresh. */
  reset(now: number): void {
    this.heard(now);
    this.lastNatOut = now;
    this.espSilentSince = undefined;
    this.step = 'none';
  }

  /** Authenticated IKE from the gateway. */
  heard(now: number): void {
    this.lastIn = now;
    this.unansweredSince = undefined;
  }

  espIn(now: number): void {
    this.heard(now);
    this.espSilentSince = undefined;
    this.step = 'none';
  }

  espOut(now: number, udpEncap: boolean): void {
    if (udpEncap) this.lastNatOut = now;
    this.unansweredSince ??= now;
    this.espSilentSince ??= now;
  }

  /** Something of ours went out on 4500 (IKE, a keepalive): the mapping is fresh. */
  natOut(now: number): void {
    this.lastNatOut = now;
  }

  /** Nothing is outstanding any more (the SAs went). */
  forget(): void {
    this.unansweredSince = this.espSilentSince = undefined;
    this.step = 'none';
  }

  dpdDue(): number | undefined {
    const s = this.settings;
    return earliest(
      s.dpdIntervalMs > 0 && this.unansweredSince !== undefined ? this.unansweredSince + s.dpdIntervalMs : undefined,
      s.dpdIdleMs > 0 ? this.lastIn + s.dpdIdleMs : undefined,
    );
  }

  keepaliveDue(natT: boolean): number | undefined {
    return natT && this.settings.natKeepaliveMs > 0 ? this.lastNatOut + this.settings.natKeepaliveMs : undefined;
  }

  /** ESP went out and none came back, and nothing was tried against this silence yet. */
  silenceUntried(): boolean {
    return this.espSilentSince !== undefined && this.step === 'none';
  }

  /** When the next step against a one-way path is due (ESP silent for 2 × dpdInterval while IKE was answered after it began). */
  healDue(): number | undefined {
    const s = this.settings;
    if (s.dpdIntervalMs <= 0 || this.espSilentSince === undefined || this.step === 'rekey' || this.lastIn <= this.espSilentSince) return undefined;
    return (this.step === 'none' ? this.espSilentSince : this.stepAt) + 2 * s.dpdIntervalMs;
  }

  /** An address update went out as the DPD: the first step against this silence is taken. */
  updated(now: number): void {
    this.step = 'update';
    this.stepAt = now;
  }

  /** The step to take now: an address update first, then a CHILD SA rekey; neither again until ESP comes back. */
  heal(now: number): 'update' | 'rekey' {
    this.step = this.step === 'none' ? 'update' : 'rekey';
    this.stepAt = now;
    return this.step;
  }
}
