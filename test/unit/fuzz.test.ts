/**
 * Every fuzz target (test/fuzz/targets), 10^5 inputs each, in child processes two at a time (one
 * per core). Any finding fails: an exception, a violated property, an input over the time or
 * allocation bound, state or heap that grows. FUZZ_INPUTS and FUZZ_SEED change the run; a finding
 * prints the command that replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAll } from '../fuzz/parallel.ts';
import { describeFinding, table } from '../fuzz/report.ts';
import { TARGETS } from '../fuzz/targets/index.ts';

const INPUTS = Number(process.env.FUZZ_INPUTS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);

test(`fuzz: ${INPUTS} inputs for each of ${TARGETS.length} targets, nothing found`, { timeout: 15 * 60_000 }, async (t) => {
  const started = performance.now();
  const reports = await runAll(TARGETS.map((x) => x.name), { seed: SEED, inputs: INPUTS }, 2, () => {});
  t.diagnostic(`${((performance.now() - started) / 1000).toFixed(0)} s on 2 processes, seed ${SEED}`);
  for (const line of table(reports).split('\n')) t.diagnostic(line);
  assert.deepEqual(reports.flatMap((r) => r.findings).map(describeFinding), []);
  for (const r of reports) assert.equal(r.inputs, INPUTS, `${r.target} ran every input`);
});
