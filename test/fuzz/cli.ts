/**
 * npm run fuzz -- --target NAME[,NAME|all] --inputs N [--seed S] [--first I] [--jobs J] [--json FILE] [--retime K]
 * npm run fuzz -- --target NAME --seed S --replay I      (feeds input I again, in the state it met)
 * npm run fuzz -- --list
 * One target runs in this process; several run in child processes, --jobs at a time (default 2).
 * Exit status 1 when anything was found.
 */
import { writeFileSync } from 'node:fs';
import { runAll } from './parallel.ts';
import { describeFinding, table } from './report.ts';
import { replay, runTarget } from './runner.ts';
import { Violation } from './target.ts';
import { findTarget, TARGETS } from './targets/index.ts';

function args(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(a.slice(2), 'true');
    else out.set(a.slice(2), argv[++i]!);
  }
  return out;
}

/** 100000, 1e5 and 10^5 alike. */
export function count(text: string): number {
  const power = /^10\^(\d+)$/.exec(text);
  const n = power ? 10 ** Number(power[1]) : Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a count: ${text}`);
  return n;
}

async function main(): Promise<number> {
  const a = args(process.argv.slice(2));
  if (a.has('list')) {
    for (const t of TARGETS) console.log(`${t.name.padEnd(16)} ${t.about}`);
    return 0;
  }
  const names = (a.get('target') ?? '').split(',').filter(Boolean).flatMap((n) => (n === 'all' ? TARGETS.map((t) => t.name) : [n]));
  if (names.length === 0) throw new Error('--target NAME (or all) is required; --list names them');
  for (const n of names) if (!findTarget(n)) throw new Error(`no fuzz target ${n}; --list names them`);
  const seed = count(a.get('seed') ?? '1');

  if (a.has('replay')) {
    const target = findTarget(names[0]!)!;
    const index = count(a.get('replay')!);
    const m = replay(target, seed, index, true);
    console.log(`input ${index} of seed ${seed}: ${target.show(m.input)}`);
    console.log(`took ${m.ms.toFixed(2)} ms, allocated at least ${m.allocated} bytes`);
    if (m.error === undefined) return 0;
    console.log(m.error instanceof Violation ? `violation: ${m.error.message}` : m.error);
    if (m.error instanceof Error && m.error.stack) console.log(m.error.stack);
    return 1;
  }

  const options = {
    seed, inputs: count(a.get('inputs') ?? '100000'), first: count(a.get('first') ?? '0'),
    timeBoundMs: a.has('time-bound') ? Number(a.get('time-bound')) : undefined,
    retime: count(a.get('retime') ?? '4'),
  };
  const reports = names.length === 1
    ? [runTarget(findTarget(names[0]!)!, { ...options, progress: (line) => console.error(line) })]
    : await runAll(names, options, count(a.get('jobs') ?? '2'));
  console.log(table(reports));
  for (const r of reports) {
    const top = Object.entries(r.coverage).slice(0, 12).map(([k, n]) => `${k} ${n}`).join(', ');
    const retimed = r.retimedAt >= 0 ? `; the ${options.retime} slowest timed again: at most ${r.retimedMs.toFixed(2)} ms (input ${r.retimedAt})` : '';
    console.log(`${r.target}: slowest input ${r.maxInputAt} (${r.maxInputMs.toFixed(2)} ms), ${r.rechecked} re-measured${retimed}; time buckets ≤0.1/≤1/≤10/≤50/over ms: ${r.timeBuckets.join('/')}`);
    if (top) console.log(`${r.target} coverage: ${top}`);
  }
  for (const f of reports.flatMap((r) => r.findings)) console.log(describeFinding(f));
  if (a.has('json')) writeFileSync(a.get('json')!, `${JSON.stringify(reports, null, 2)}\n`);
  return reports.some((r) => r.findings.length) ? 1 : 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(2);
});
