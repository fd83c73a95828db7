/**
 * A metered XS worker: xsnap plus bookkeeping of the computrons of every turn.
 * xsnap's Node side needs SES globals (harden, assert), hence `@endo/init` first; note that
 * it locks down the intrinsics of the whole Node process that imports this module.
 */
import '@endo/init';
import { xsnap, type MeterUsage, type XsnapWorker } from '@agoric/xsnap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { frame, ToXs } from './protocol.ts';

export interface TurnUsage {
  /** What the turn was: 'load', 'start', 'receive', 'timer', 'stop', 'eval'. */
  kind: string;
  /** XS computrons: a machine-independent count of the work done in the turn. */
  compute: number;
}

/** XS heap figures as xsnap reports them at the end of a turn (levels, not per-turn deltas). */
export interface XsMemory {
  /** Slots in use (XS's fixed-size value cells): live at the last GC plus those allocated since. */
  currentHeapCount: number;
  /** Bytes of slot and chunk space XS has taken from the OS since the worker started; never shrinks. */
  allocate: number;
}

export interface MeterSummary {
  turns: number;
  totalCompute: number;
  /** The longest synchronous turn: what bounds the device's event-loop latency. */
  longest: TurnUsage | undefined;
  last: TurnUsage | undefined;
  /** Heap figures after the last turn. */
  memory?: XsMemory;
}

export interface XsWorkerOptions {
  name?: string;
  /** Called synchronously (from XS's point of view) for each `issueCommand` in XS. */
  onCommand: (message: Uint8Array) => Uint8Array;
  /** Per-turn computron limit; past it xsnap kills the worker (default xsnap's 1e8). */
  meteringLimit?: number;
  /** Show XS `print` output and xsnap diagnostics on this process's stdout/stderr. */
  inheritStdio?: boolean;
}

export class XsWorker {
  readonly meter: MeterSummary = { turns: 0, totalCompute: 0, longest: undefined, last: undefined };

  private constructor(private readonly worker: XsnapWorker) {}

  static async spawn(options: XsWorkerOptions): Promise<XsWorker> {
    const worker = await xsnap({
      os: os.type(),
      spawn,
      fs: { ...fs, ...fs.promises },
      name: options.name ?? 'ikelet-xs',
      // XS `print` and xsnap's own diagnostics; exceptions come back in the turn's rejection anyway.
      stdout: options.inheritStdio ? 'inherit' : 'ignore',
      stderr: options.inheritStdio ? 'inherit' : 'ignore',
      handleCommand: async (m) => options.onCommand(m),
      ...(options.meteringLimit !== undefined ? { meteringLimit: options.meteringLimit } : {}),
    });
    return new XsWorker(worker);
  }

  /** Evaluates a script as one turn. */
  async evaluate(code: string, kind = 'eval'): Promise<TurnUsage> {
    const r = await this.worker.evaluate(code);
    return this.record(kind, r.meterUsage);
  }

  /** Delivers one command to XS's `handleCommand` as one turn. */
  async command(message: Uint8Array, kind: string): Promise<TurnUsage> {
    const r = await this.worker.issueCommand(message);
    return this.record(kind, r.meterUsage);
  }

  /**
   * Live heap slots right after a full collection; the turn is not counted. The program's
   * handleCommand runs gc() for ToXs.gc (xs-main.ts; XsScript installs one): sampling by
   * evaluate('gc()') would leave one slot behind per sample, a steady "leak" of the sampler's own.
   */
  async liveSlots(): Promise<number> {
    const r = await this.worker.issueCommand(frame(ToXs.gc));
    const slots = r.meterUsage.currentHeapCount;
    if (slots === null || slots === undefined) throw new Error('xsnap reported no heap count');
    return slots;
  }

  close(): Promise<void> {
    return this.worker.close().catch(() => this.worker.terminate());
  }

  private record(kind: string, usage: MeterUsage): TurnUsage {
    const turn = { kind, compute: usage.compute ?? 0 };
    if (usage.currentHeapCount !== null && usage.allocate !== null) this.meter.memory = { currentHeapCount: usage.currentHeapCount, allocate: usage.allocate };
    this.meter.turns++;
    this.meter.totalCompute += turn.compute;
    this.meter.last = turn;
    if (!this.meter.longest || turn.compute > this.meter.longest.compute) this.meter.longest = turn;
    return turn;
  }
}
