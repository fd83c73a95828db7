/**
 * The XS figures for the side-by-side table, taken from `npm run bench:xs` (hosts/xs/bench.ts)
 * as it prints them, plus the device bundle's size. bench:xs is being extended by others: this
 * file is the one place that knows its output, so re-point `XS_LINES` (label → regex) when a
 * line is renamed. A line not found prints as "n/a", never as a wrong figure.
 */
import { spawn } from 'node:child_process';
import { ESP32_TEMPLATE } from '../../scripts/build-esp32.ts';
import type { DeviceFeatures } from '../../scripts/device-modules.ts';
import { flashReport } from '../../scripts/flash-report.ts';
import { mergedConfig } from '../../scripts/manifest.ts';

/** Table label → the bench:xs line it comes from; the first number after the label is the figure. */
export const XS_LINES: Array<{ label: string; line: RegExp; unit: string }> = [
  { label: "IKE: 'ike-connecting' → 'child-up', XS turns summed", line: /IKE: 'ike-connecting' turn → 'child-up' turn, summed\s+([\d,]+)/, unit: 'computrons' },
  { label: "longest single turn, start → 'child-up'", line: /longest single turn, start → 'child-up'[^\d]*\s([\d,]+)/, unit: 'computrons' },
  { label: 'longest turn while streaming 1400 B datagrams', line: /longest turn after 'child-up' through '[a-z-]+'\s+([\d,]+)/, unit: 'computrons' },
  { label: 'ESP protect of a 1400 B packet, AES-GCM', line: /aes128gcm16\s+1400 B\s+encrypt: EspOutboundSa\.protect\s+([\d,]+)/, unit: 'computrons' },
  { label: "live heap after 'child-up' (full GC)", line: /live after 'child-up' \(full gc\(\), run \d\)\s+([\d,]+) slots/, unit: 'slots' },
];

export interface XsFigures {
  /** label → one value per bench:xs run (missing when the line was not found). */
  values: Map<string, number[]>;
  /** Why a run gave nothing (bench:xs failed), if it did. */
  errors: string[];
}

/** Runs bench:xs `runs` times (each a fresh process; its lab is its own) and picks out XS_LINES. */
export async function xsBenchFigures(runs: number): Promise<XsFigures> {
  const values = new Map<string, number[]>();
  const errors: string[] = [];
  for (let i = 0; i < runs; i++) {
    const { code, out } = await runBenchXs();
    if (code !== 0) errors.push(`bench:xs exited ${code}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    for (const { label, line } of XS_LINES) {
      const m = line.exec(out);
      if (m) values.set(label, [...(values.get(label) ?? []), Number(m[1]!.replace(/,/g, ''))]);
    }
  }
  return { values, errors };
}

function runBenchXs(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'hosts/xs/bench.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** The ESP32 device bundle as build:esp32 writes it (its manifest's algorithms and app clients), minified and gzipped: what the firmware carries. */
export async function deviceBundleSize(): Promise<{ bytes: number; gzip: number }> {
  const r = await flashReport(mergedConfig(ESP32_TEMPLATE, 'esp32') as unknown as DeviceFeatures);
  return { bytes: r.bytes, gzip: r.gzipBytes };
}
