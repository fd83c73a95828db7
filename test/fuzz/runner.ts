/**
 * Runs one fuzz target over inputs [first, first + inputs) of a seed and measures every input:
 *
 * - Time: each feed() is timed with performance.now(). Over the bound (50 ms) it is replayed twice
 *   (its episode rebuilt, the inputs before it fed again); only when the fastest replay is still over
 *   the bound is it a finding: a GC pause or a busy machine alone is not.
 * - Allocation per input: the growth of V8's used heap plus external (ArrayBuffer) memory across
 *   feed(). A GC during the call can only make this smaller, so it is a lower bound of what the input
 *   allocated: over the limit it is a finding (confirmed on a replay after a full GC).
 * - Retained state per input: retainedBytes() of the target's state (its queues, maps, buffers),
 *   sampled every few inputs and at the end of each episode, against the target's limit.
 * - Retained heap across batches: about every 2 s two full GCs (global.gc) and used heap + external
 *   memory; growth over the first such figure beyond the limit (16 MiB) is a finding.
 * Any exception out of feed() is a finding, and so is a Violation from check() or end().
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { Rand } from './rand.ts';
import { retainedBytes } from './retained.ts';
import { Violation, type AnyTarget } from './target.ts';

export interface RunOptions {
  seed: number;
  inputs: number;
  first?: number;
  timeBoundMs?: number;
  heapGrowthLimit?: number;
  /** Progress lines (every ~10 s). */
  progress?: (line: string) => void;
  /** At the end, time this many of the slowest inputs again (replayed, the fastest of two): what they cost without contention. */
  retime?: number;
}

type FindingKind = 'exception' | 'violation' | 'slow' | 'allocation' | 'retained' | 'heap-growth' | 'crash';

export interface Finding {
  kind: FindingKind;
  target: string;
  seed: number;
  index: number;
  message: string;
  stack?: string;
  input?: string;
}

export interface Report {
  target: string;
  seed: number;
  first: number;
  inputs: number;
  elapsedMs: number;
  perSecond: number;
  maxInputMs: number;
  maxInputAt: number;
  /** The slowest of the re-timed inputs (see RunOptions.retime), or -1. */
  retimedMs: number;
  retimedAt: number;
  /** Inputs by time taken: ≤0.1 ms, ≤1 ms, ≤10 ms, ≤50 ms, over. */
  timeBuckets: [number, number, number, number, number];
  /** Inputs over the time or allocation bound that were fine when replayed (a GC pause, a busy machine). */
  rechecked: number;
  maxAllocationBytes: number;
  allocationLimit: number;
  peakRetainedBytes: number;
  retainedLimit: number;
  heapGrowthBytes: number;
  peakHeapBytes: number;
  coverage: Record<string, number>;
  findings: Finding[];
}

const DEFAULT_TIME_BOUND_MS = 50;
const DEFAULT_RETAINED_LIMIT = 256 * 1024;
const DEFAULT_ALLOCATION_LIMIT = 1024 * 1024;
const DEFAULT_HEAP_GROWTH_LIMIT = 16 * 1024 * 1024;
const RETAINED_EVERY = 16;
const GC_EVERY_MS = 2000;

function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function heapBytes(): number {
  const h = v8.getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

interface Measured {
  ms: number;
  allocated: number;
  error: unknown;
  input: unknown;
  state: unknown;
}

/** Feeds one input and measures it; `error` is what feed() or check() threw. */
function measure(t: AnyTarget, state: unknown, input: unknown): Omit<Measured, 'input' | 'state'> {
  const h0 = heapBytes();
  const t0 = performance.now();
  let error: unknown;
  try {
    t.feed(state, input);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const allocated = heapBytes() - h0;
  if (error === undefined && t.check) {
    try {
      t.check(state, input);
    } catch (e) {
      error = e;
    }
  }
  return { ms, allocated, error };
}

/** A fresh state for the episode of input `index`, with the inputs before it (in its episode) fed. */
function stateBefore(t: AnyTarget, seed: number, index: number): unknown {
  const episode = Math.floor(index / t.episode);
  const state = t.setup(Rand.episode(seed, episode));
  for (let j = episode * t.episode; j < index; j++) {
    const input = t.make(Rand.input(seed, j), state);
    t.feed(state, input);
    t.check?.(state, input);
  }
  return state;
}

/** Input `index` of `seed` again, in the state it met: for confirming a finding, and for `--replay`. */
export function replay(t: AnyTarget, seed: number, index: number, gcFirst = false): Measured {
  const state = stateBefore(t, seed, index);
  const input = t.make(Rand.input(seed, index), state);
  if (gcFirst) collectGarbage()();
  return { ...measure(t, state, input), input, state };
}

/** The biggest parts of a state, for a retained-state finding. */
function breakdown(root: unknown, skip: ReadonlySet<object>): string {
  if (typeof root !== 'object' || root === null) return '';
  return Object.entries(root)
    .map(([k, v]) => [k, retainedBytes(v, skip)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

function describe(e: unknown): { message: string; stack?: string } {
  if (e instanceof Error) return { message: `${e.name}: ${e.message}`, stack: e.stack };
  return { message: String(e) };
}

export function runTarget(t: AnyTarget, o: RunOptions): Report {
  const gc = collectGarbage();
  const first = o.first ?? 0;
  const timeBound = o.timeBoundMs ?? DEFAULT_TIME_BOUND_MS;
  const retainedLimit = t.retainedLimit ?? DEFAULT_RETAINED_LIMIT;
  const allocationLimit = t.allocationLimit ?? DEFAULT_ALLOCATION_LIMIT;
  const heapGrowthLimit = o.heapGrowthLimit ?? DEFAULT_HEAP_GROWTH_LIMIT;
  const report: Report = {
    target: t.name, seed: o.seed, first, inputs: 0, elapsedMs: 0, perSecond: 0, maxInputMs: 0, maxInputAt: -1, retimedMs: -1, retimedAt: -1,
    timeBuckets: [0, 0, 0, 0, 0], rechecked: 0, maxAllocationBytes: 0, allocationLimit, peakRetainedBytes: 0, retainedLimit,
    heapGrowthBytes: 0, peakHeapBytes: 0, coverage: {}, findings: [],
  };
  const find = (kind: Finding['kind'], index: number, message: string, input?: unknown, stack?: string): void => {
    report.findings.push({ kind, target: t.name, seed: o.seed, index, message, stack, input: input === undefined ? undefined : t.show(input) });
  };
  const coverage = new Map<string, number>();
  /** The slowest inputs seen, slowest first (for re-timing at the end). */
  const slowest: { index: number; ms: number }[] = [];
  const started = performance.now();
  let lastGc = started;
  let lastProgress = started;
  let baseline: number | undefined;
  let episode = -1;
  let state: unknown;
  const end = first + o.inputs;

  const sampleRetained = (index: number, input: unknown): boolean => {
    if (!t.retained) return true;
    const skip = new Set(t.retainedSkip?.(state) ?? []);
    const bytes = retainedBytes(t.retained(state), skip);
    report.peakRetainedBytes = Math.max(report.peakRetainedBytes, bytes);
    if (bytes <= retainedLimit) return true;
    find('retained', index, `the state holds ${bytes} bytes (limit ${retainedLimit}): ${breakdown(t.retained(state), skip)}`, input);
    return false;
  };
  const endEpisode = (index: number): boolean => {
    try {
      t.end?.(state);
      return true;
    } catch (e) {
      const d = describe(e);
      find(e instanceof Violation ? 'violation' : 'exception', index, `at the end of the episode: ${d.message}`, undefined, d.stack);
      return false;
    }
  };

  for (let i = first; i < end; i++) {
    const e = Math.floor(i / t.episode);
    if (e !== episode) {
      if (episode >= 0 && !endEpisode(i - 1)) break;
      state = stateBefore(t, o.seed, i);
      episode = e;
    }
    const input = t.make(Rand.input(o.seed, i), state);
    const m = measure(t, state, input);
    report.inputs++;
    if (m.error !== undefined) {
      const d = describe(m.error);
      find(m.error instanceof Violation ? 'violation' : 'exception', i, d.message, input, d.stack);
      break;
    }
    if (t.label) {
      const l = t.label(state, input);
      coverage.set(l, (coverage.get(l) ?? 0) + 1);
    }
    let ms = m.ms;
    if (ms > timeBound) {
      const again = Math.min(replay(t, o.seed, i).ms, replay(t, o.seed, i).ms);
      if (again > timeBound) {
        find('slow', i, `took ${ms.toFixed(1)} ms, ${again.toFixed(1)} ms when replayed (bound ${timeBound} ms)`, input);
        break;
      }
      report.rechecked++;
      ms = again;
    }
    report.timeBuckets[ms <= 0.1 ? 0 : ms <= 1 ? 1 : ms <= 10 ? 2 : ms <= timeBound ? 3 : 4]++;
    if (ms > report.maxInputMs) [report.maxInputMs, report.maxInputAt] = [ms, i];
    if (o.retime && (slowest.length < o.retime || ms > slowest[slowest.length - 1]!.ms)) {
      slowest.push({ index: i, ms });
      slowest.sort((a, b) => b.ms - a.ms);
      slowest.length = Math.min(slowest.length, o.retime);
    }
    let allocated = m.allocated;
    if (allocated > allocationLimit) {
      allocated = replay(t, o.seed, i, true).allocated;
      if (allocated > allocationLimit) {
        find('allocation', i, `allocated at least ${allocated} bytes (limit ${allocationLimit})`, input);
        break;
      }
      report.rechecked++;
    }
    report.maxAllocationBytes = Math.max(report.maxAllocationBytes, allocated);
    const lastOfEpisode = (i + 1) % t.episode === 0 || i + 1 === end;
    if ((i % RETAINED_EVERY === 0 || lastOfEpisode) && !sampleRetained(i, input)) break;

    const now = performance.now();
    if (now - lastGc >= GC_EVERY_MS || i + 1 === end) {
      // Twice: after one full GC the young generation may still hold megabytes of survivors.
      gc();
      gc();
      const heap = heapBytes();
      lastGc = performance.now();
      report.peakHeapBytes = Math.max(report.peakHeapBytes, heap);
      if (baseline === undefined) baseline = heap;
      report.heapGrowthBytes = Math.max(report.heapGrowthBytes, heap - baseline);
      if (heap - baseline > heapGrowthLimit) {
        find('heap-growth', i, `the heap after GC grew by ${heap - baseline} bytes since the first batch (limit ${heapGrowthLimit})`);
        break;
      }
    }
    if (o.progress && now - lastProgress >= 10_000) {
      lastProgress = now;
      const done = i + 1 - first;
      const rate = done / ((now - started) / 1000);
      o.progress(`${t.name}: ${done}/${o.inputs} inputs, ${Math.round(rate)}/s, about ${Math.round((o.inputs - done) / rate)} s left`);
    }
  }
  if (report.findings.length === 0 && episode >= 0) endEpisode(end - 1);
  if (report.findings.length === 0) {
    for (const { index } of slowest) {
      const ms = Math.min(replay(t, o.seed, index).ms, replay(t, o.seed, index).ms);
      if (ms > report.retimedMs) [report.retimedMs, report.retimedAt] = [ms, index];
    }
  }
  report.elapsedMs = performance.now() - started;
  report.perSecond = Math.round(report.inputs / (report.elapsedMs / 1000));
  report.coverage = Object.fromEntries([...coverage].sort((a, b) => b[1] - a[1]));
  return report;
}
