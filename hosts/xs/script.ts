/**
 * Run a bundled script in XS and call into it: for smoke tests and benchmarks.
 * The script puts functions on globalThis; each call() is one evaluate (one metered turn)
 * whose return value comes back as JSON through issueCommand.
 */
import { FromXs, ToXs, payloadJson } from './protocol.ts';
import { XsWorker } from './worker.ts';

/** Answers XsWorker.liveSlots() for scripts that have no handleCommand of their own. */
const GC_COMMAND = `if (!globalThis.handleCommand) globalThis.handleCommand = (m) => { if (new Uint8Array(m)[0] === ${ToXs.gc}) gc(); return new ArrayBuffer(0); };`;

export interface CallResult<T> {
  value: T;
  compute: number;
}

export class XsScript {
  private results: unknown[] = [];
  private constructor(private readonly worker: XsWorker) {}

  /** Loads `code` (a script, e.g. from bundleForXs) in a fresh worker; rejects if it throws. */
  static async load(code: string): Promise<XsScript> {
    let self: XsScript | undefined;
    const worker = await XsWorker.spawn({
      name: 'ikelet-xs-script',
      onCommand: (m) => {
        if (m[0] === FromXs.result) self?.results.push(payloadJson(m));
        return new Uint8Array(0);
      },
    });
    self = new XsScript(worker);
    try {
      await worker.evaluate(code, 'load');
      await worker.evaluate(GC_COMMAND, 'load');
    } catch (e) {
      await worker.close();
      throw e;
    }
    return self;
  }

  /** Evaluates `expression` in XS and returns its JSON value with the turn's computrons. */
  async call<T>(expression: string): Promise<CallResult<T>> {
    this.results = [];
    const code = `issueCommand(new Uint8Array([${FromXs.result}, ...new TextEncoder().encode(JSON.stringify(${expression}))]).buffer);`;
    const turn = await this.worker.evaluate(code, 'call');
    if (this.results.length !== 1) throw new Error(`no result from ${expression}`);
    return { value: this.results[0] as T, compute: turn.compute };
  }

  liveSlots(): Promise<number> {
    return this.worker.liveSlots();
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
