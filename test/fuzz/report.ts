/** Reports for people: the figures table and findings with their replay command. */
import type { Finding, Report } from './runner.ts';

const kib = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

export function table(reports: readonly Report[]): string {
  const rows = [['target', 'inputs', 'time', 'inputs/s', 'max ms/input', 'max alloc/input', 'peak state', 'heap growth', 'peak heap', 'findings']];
  for (const r of reports) {
    rows.push([
      r.target, String(r.inputs), `${(r.elapsedMs / 1000).toFixed(1)} s`, String(r.perSecond), r.maxInputMs.toFixed(2),
      kib(r.maxAllocationBytes), r.peakRetainedBytes ? kib(r.peakRetainedBytes) : '-', kib(r.heapGrowthBytes), kib(r.peakHeapBytes),
      String(r.findings.length),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function describeFinding(f: Finding): string {
  const lines = [`FINDING (${f.kind}) in ${f.target}, seed ${f.seed}, input ${f.index}: ${f.message}`];
  if (f.input) lines.push(`  input: ${f.input}`);
  if (f.stack) lines.push(`  ${f.stack.split('\n').slice(0, 12).join('\n  ')}`);
  if (f.index >= 0) lines.push(`  replay: npm run fuzz -- --target ${f.target} --seed ${f.seed} --replay ${f.index}`);
  return lines.join('\n');
}
