/**
 * Drives a sans-IO agent with a host's Platform: serial bytes in, one re-armable timer,
 * and a guard so that no exception ever escapes into the host's event loop.
 * Every host (sim, xs, esp32) uses this same loop; hosts only implement Platform.
 */
import type { LogLevel, Platform } from '../platform.ts';
import { Logger } from '../util/log.ts';

export interface DrivenAgent {
  start(now: number): void;
  receiveSerial(bytes: Uint8Array, now: number): void;
  onTimer(now: number): void;
  deadline(): number | undefined;
  /** The serial line took bytes off its queue. */
  serialWritable?(now: number): void;
  /** Gives the agent a way to run app work (socket calls from the app's own timers) as a turn. */
  attach?(act: (work: (now: number) => void) => void): void;
}

export class Runner {
  private readonly log: Logger;
  private crashes = 0;

  constructor(
    private readonly platform: Platform,
    private readonly agent: DrivenAgent,
    logLevel: LogLevel = 'info',
  ) {
    this.log = new Logger(platform.log, 'runner', logLevel);
    agent.attach?.((work) => this.act(work));
  }

  start(): void {
    this.platform.serial.onReceive((bytes) => this.turn(() => this.agent.receiveSerial(bytes, this.platform.clock.now())));
    this.platform.serial.onWritable?.(() => this.turn(() => this.agent.serialWritable?.(this.platform.clock.now())));
    this.turn(() => this.agent.start(this.platform.clock.now()));
  }

  /** Runs app work (send, stop, ...) as one agent turn, then re-arms the timer. */
  act(work: (now: number) => void): void {
    this.turn(() => work(this.platform.clock.now()));
  }

  /** Unexpected exceptions inside the agent (bugs) are counted and logged, never rethrown. */
  get unexpectedErrors(): number {
    return this.crashes;
  }

  private turn(work: () => void): void {
    try {
      work();
    } catch (e) {
      this.crashes++;
      this.log.error(`internal error (${this.crashes}): ${e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)}`);
    }
    this.rearm();
  }

  private rearm(): void {
    let at: number | undefined;
    try {
      at = this.agent.deadline();
    } catch {
      at = this.platform.clock.now() + 1000;
    }
    this.platform.timer.schedule(at, () => this.turn(() => this.agent.onTimer(this.platform.clock.now())));
  }
}
