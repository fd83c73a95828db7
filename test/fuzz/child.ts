/** One target in a process of its own (its own heap to measure): started by parallel.ts, answers with its report. */
import { runTarget, type RunOptions } from './runner.ts';
import { findTarget } from './targets/index.ts';

process.once('message', (msg: { target: string; options: RunOptions }) => {
  const target = findTarget(msg.target);
  if (!target) throw new Error(`no fuzz target ${msg.target}`);
  const report = runTarget(target, { ...msg.options, progress: (line) => process.stderr.write(`${line}\n`) });
  process.send!({ report }, () => process.exit(0));
});
