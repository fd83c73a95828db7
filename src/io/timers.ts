/**
 * Many re-armable timers on the platform's one: the agent's Runner and every app client (MQTT,
 * HTTP, firmware) each get a Timer of their own, and the platform timer is armed for the earliest
 * of them. Hosts with a single timer (XS under xsnap) then carry apps beside the agent, and
 * hosts with many (Moddable) arm one instead of one per client.
 */
import type { Clock, Timer } from '../platform.ts';

interface Entry {
  at: number;
  fire: () => void;
}

export class TimerSet {
  /** Only armed timers are here, so clients that come and go leave nothing behind. */
  private readonly armed = new Map<object, Entry>();
  private firing = false;
  /** When the platform timer is armed for (undefined: not armed). */
  private baseAt: number | undefined;

  /** `onError` hears of a fire callback that threw; the other timers still fire. */
  constructor(
    private readonly base: Timer,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  timer(): Timer {
    const key = {};
    return {
      schedule: (at, fire) => {
        if (at === undefined) this.armed.delete(key);
        else this.armed.set(key, { at, fire });
        if (!this.firing) this.rearm();
      },
    };
  }

  /**
   * Arms the platform timer only when the earliest time changed: a host whose timer expiry is
   * itself queued (XS: a turn behind the serial turns) would otherwise see every re-arming make
   * the queued expiry stale, and a busy line could starve a deadline that is long due.
   */
  private rearm(): void {
    let at: number | undefined;
    for (const e of this.armed.values()) if (at === undefined || e.at < at) at = e.at;
    if (at === this.baseAt) return;
    this.baseAt = at;
    this.base.schedule(at, () => this.fireDue());
  }

  private fireDue(): void {
    this.baseAt = undefined;
    const now = this.clock.now();
    this.firing = true;
    try {
      for (const [key, e] of [...this.armed]) {
        if (e.at > now || this.armed.get(key) !== e) continue; // not due, or re-armed by an earlier fire
        this.armed.delete(key);
        try {
          e.fire();
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.firing = false;
    }
    this.rearm();
  }
}
