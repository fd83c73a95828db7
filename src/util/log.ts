import type { LogLevel, LogSink } from '../platform.ts';
import { LOG_LEVELS } from '../platform.ts';

/** A component's logger: filters by level and tags lines with the component name. */
export class Logger {
  private readonly threshold: number;
  constructor(
    private readonly sink: LogSink,
    readonly component: string,
    level: LogLevel = 'info',
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  child(component: string): Logger {
    return new Logger(this.sink, component, LOG_LEVELS[this.threshold]);
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.threshold;
  }

  error(message: string): void { this.write('error', message); }
  warn(message: string): void { this.write('warn', message); }
  info(message: string): void { this.write('info', message); }
  debug(message: string): void { this.write('debug', message); }

  private write(level: LogLevel, message: string): void {
    if (this.enabled(level)) this.sink(level, this.component, message);
  }
}

/** A logger that drops everything: handy default for unit tests. */
export const silentLogger = (component = 'test'): Logger => new Logger(() => {}, component, 'error');

/**
 * Counts dropped input by reason and logs only the first drop of each reason:
 * bad input on the wire must never flood the log of a device on a metered link.
 */
export class DropCounter {
  /** Made at the first drop: most counters never count one (RAM on XS). */
  private counts: Map<string, number> | undefined;
  constructor(private readonly log: Logger) {}

  drop(reason: string, detail = ''): void {
    const counts = (this.counts ??= new Map());
    const n = (counts.get(reason) ?? 0) + 1;
    counts.set(reason, n);
    if (n === 1) this.log.warn(`dropped: ${reason}${detail ? ` (${detail})` : ''}; further drops of this kind are only counted`);
  }

  count(reason: string): number {
    return this.counts?.get(reason) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const n of this.counts?.values() ?? []) sum += n;
    return sum;
  }

  snapshot(): Record<string, number> {
    return this.counts ? Object.fromEntries(this.counts) : {};
  }
}
