/**
 * The recovery ladder: what the cellular link tries after each failure, one rung further each
 * time, never an MCU reboot. redial (hang up, dial again) -> radio (AT+CFUN=0/1: detach and
 * register afresh) -> reset (the modem's reset command) -> power (PWRKEY/RESET pulses, when the
 * board wires them) -> back to redial. A link that came up and stayed starts again at the top.
 * How long to wait before a rung is the agent's one Backoff; this only says which rung.
 */
export type Rung = 'redial' | 'radio' | 'reset' | 'power';

export const RUNGS: readonly Rung[] = Object.freeze(['redial', 'radio', 'reset', 'power'] as const);

export class RecoveryLadder {
  /** Index of the rung the next failure runs. */
  private next = 0;
  private readonly rungs: readonly Rung[];
  private readonly runs = new Map<Rung, number>();

  constructor(hasPowerLines: boolean) {
    this.rungs = hasPowerLines ? RUNGS : RUNGS.filter((r) => r !== 'power');
  }

  /** A failure: the rung to run for it. `atLeast`: lower rungs cannot heal it (a modem that does not answer AT). */
  climb(atLeast: Rung = 'redial'): Rung {
    const floor = Math.max(0, this.rungs.indexOf(atLeast));
    const i = Math.max(this.next % this.rungs.length, floor);
    this.next = i + 1;
    const rung = this.rungs[i]!;
    this.runs.set(rung, (this.runs.get(rung) ?? 0) + 1);
    return rung;
  }

  /** The link proved itself: the next failure starts at the top. */
  settle(): void {
    this.next = 0;
  }

  /** How often each rung ran since start. */
  counts(): Record<Rung, number> {
    return { redial: this.runs.get('redial') ?? 0, radio: this.runs.get('radio') ?? 0, reset: this.runs.get('reset') ?? 0, power: this.runs.get('power') ?? 0 };
  }
}
