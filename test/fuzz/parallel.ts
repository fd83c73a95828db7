/**
 * Runs targets in child processes, `jobs` at a time (one per core): each target gets a fresh heap,
 * so its memory figures are its own. A child that dies is reported as a 'crash' finding.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Report, RunOptions } from './runner.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

function runInChild(target: string, options: Omit<RunOptions, 'progress'>, onStderr: (text: string) => void = (t) => process.stderr.write(t)): Promise<Report> {
  return new Promise((resolve) => {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let report: Report | undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      onStderr(d.toString());
    });
    child.on('message', (m: { report: Report }) => (report = m.report));
    child.on('exit', (code, signal) => {
      if (report) return resolve(report);
      resolve({
        target, seed: options.seed, first: options.first ?? 0, inputs: 0, elapsedMs: 0, perSecond: 0, maxInputMs: 0, maxInputAt: -1, retimedMs: -1, retimedAt: -1,
        timeBuckets: [0, 0, 0, 0, 0], rechecked: 0, maxAllocationBytes: 0, allocationLimit: 0, peakRetainedBytes: 0, retainedLimit: 0,
        heapGrowthBytes: 0, peakHeapBytes: 0, coverage: {},
        findings: [{ kind: 'crash', target, seed: options.seed, index: -1, message: `the fuzz process ended (${signal ?? `exit ${code}`}) without a report`, stack: stderr }],
      });
    });
    child.send({ target, options });
  });
}

/** Every target's report, in the order given. */
export async function runAll(targets: readonly string[], options: Omit<RunOptions, 'progress'>, jobs: number, onStderr?: (text: string) => void): Promise<Report[]> {
  const reports = new Map<string, Report>();
  const queue = [...targets];
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) reports.set(t, await runInChild(t, options, onStderr));
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return targets.map((t) => reports.get(t)!);
}
