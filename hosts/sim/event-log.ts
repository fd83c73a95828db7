/** The agent's events as they arrive, with "wait for the first one that matches". */
import type { AgentEvent } from '../../src/agent/agent.ts';

export class EventLog {
  readonly events: AgentEvent[] = [];
  private waiters: Array<{ match: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void }> = [];

  push(e: AgentEvent): void {
    this.events.push(e);
    const ready = this.waiters.filter((w) => w.match(e));
    this.waiters = this.waiters.filter((w) => !w.match(e));
    for (const w of ready) w.resolve(e);
  }

  /** Resolves with the first event (past or future) that matches; rejects after timeoutMs. */
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs: number, what = 'an agent event'): Promise<AgentEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${this.events.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }
}
