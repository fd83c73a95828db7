/**
 * `npm run check:moddable [-- --project build/esp32] [--manifest yours.json]`: the device build
 * through Moddable's own tools, as far as they go without ESP-IDF:
 *
 *   1. `mcconfig -m -p esp32` on the project (manifest resolution, the generated makefile); with a
 *      stand-in ESP-IDF it stops at the first step that needs the real one, as expected;
 *   2. the JavaScript half of that makefile: `xsc` for every module and `xsid` for every native
 *      file (the makefile's own rules, run by make), then its `xsl` line, which preloads the
 *      modules and writes mc.xs.c.
 *
 * Any error in these steps fails the check. xsl's report is parsed: instances, keys, and one
 * warning per preloaded object that XS must copy to RAM when it is written ("not frozen") and per
 * module variable that is not const ("no const").
 * Without --project, it builds a fresh project with build:esp32 (a throwaway PSK) in a temp folder.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { expectedEspIdf, findModdableSdk, sdkEnv, stubEspIdf, type ModdableSdk } from './moddable-sdk.ts';

export interface XslWarning {
  /** The preloaded module the path starts from, e.g. 'ikelet'. */
  module: string;
  /** xsl's path to the object or variable: exports, closures ('f()'), properties. */
  path: string;
  kind: 'not frozen' | 'no const';
}

export interface XslReport {
  instances: number;
  keys: number;
  warnings: XslWarning[];
  /** xsl's own lines, as printed. */
  output: string;
}

export interface ModdableBuildResult {
  /** The folder mcconfig wrote (makefile, modules/, mc.xs.c). */
  tmpDir: string;
  /** Every module the makefile compiles (.xsb) and every native interface (.xsi). */
  targets: string[];
  /** mcconfig's output (it ends in the ESP-IDF step that cannot run here). */
  mcconfigOutput: string;
  /** Compiler warnings from xsc/xsid (e.g. "cannot optimize native!"). */
  compileWarnings: string[];
  xsl: XslReport;
  /** xsl's report on the readable bundle (same code, names kept), when one was given. */
  readableXsl?: XslReport;
  /** mc.xs.c of the device bundle: the preloaded heap as C. */
  mcXsC: string;
  timings: Record<string, number>;
}

export class ModdableBuildError extends Error {}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { status: number; output: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.error) throw new ModdableBuildError(`${cmd}: ${r.error.message}`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const ERROR_LINE = /(^|\s)(error|### Error)\b|: error:|No rule to make target/i;

export function parseXslOutput(output: string): XslReport {
  const counts = /### (\d+) instances, (\d+) keys/.exec(output);
  const warnings: XslWarning[] = [];
  for (const line of output.split('\n')) {
    const w = /^### warning: ([^:]+): (.*): (not frozen|no const)$/.exec(line.trim());
    if (w) warnings.push({ module: w[1]!, path: w[2]!, kind: w[3] as XslWarning['kind'] });
  }
  return { instances: Number(counts?.[1] ?? NaN), keys: Number(counts?.[2] ?? NaN), warnings, output };
}

export interface ModdableBuildOptions {
  /**
   * The readable device bundle (build-lib.ts DeviceBundle.readable): preloaded a second time in
   * place of the project's ikelet.js, so that xsl's warnings carry the source's names.
   */
  readable?: string;
  /** Where the project holds ikelet.js (default: ikelet's part inside a build:esp32 project). */
  bundleFile?: string;
  /** More environment for mcconfig and make, e.g. IKELET for a project that includes ikelet's manifest. */
  env?: Record<string, string>;
  /** mcconfig's -p: 'esp32' (default) or a subplatform such as 'esp32/esp32s3'. */
  platform?: string;
}

/**
 * Runs mcconfig and the JavaScript half of its makefile on a copy of `project` (a folder with
 * manifest.json). Everything is written under `work`; neither the project nor the SDK is touched.
 */
export function moddableBuild(sdk: ModdableSdk, projectDir: string, work: string, options: ModdableBuildOptions = {}): ModdableBuildResult {
  const timings: Record<string, number> = {};
  const time = <T>(step: string, fn: () => T): T => {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      timings[step] = Math.round(performance.now() - t0);
    }
  };
  const env = { ...sdkEnv(sdk, stubEspIdf(path.join(work, 'esp-idf'), expectedEspIdf(sdk))), ...options.env };
  const project = path.join(work, path.basename(projectDir));
  fs.cpSync(projectDir, project, { recursive: true });
  const out = path.join(work, 'out');
  fs.mkdirSync(out, { recursive: true });

  const platform = options.platform ?? 'esp32';
  const mcconfig = time('mcconfig', () => run('mcconfig', ['-m', '-p', platform, '-o', out], project, env));
  // mcconfig writes a subplatform's build under tmp/esp32/<sub>/release.
  const tmpDir = path.join(out, 'tmp', ...platform.split('/'), 'release', path.basename(project));
  const makefile = path.join(tmpDir, 'makefile');
  const mcErrors = mcconfig.output.split('\n').filter((l) => /^### (Error|error)|^# error|: error:/.test(l));
  if (!fs.existsSync(makefile) || mcErrors.length) {
    throw new ModdableBuildError(`mcconfig -m -p ${platform} failed before its makefile was complete:\n${mcErrors.join('\n') || mcconfig.output.trim()}`);
  }

  // The makefile's own xsl command line; its .xsb/.xsi arguments are targets of the same makefile.
  const mcXsC = path.join(tmpDir, 'mc.xs.c');
  const dry = run('make', ['-n', '-f', makefile, mcXsC], tmpDir, env);
  const xslLine = dry.output.split('\n').find((l) => l.startsWith('xsl '));
  if (!xslLine) throw new ModdableBuildError(`no xsl command in ${makefile} (make -n ${mcXsC}):\n${dry.output.trim()}`);
  const targets = xslLine.split(/\s+/).filter((w) => /\.(xsb|xsi)$/.test(w) && path.isAbsolute(w));
  if (!targets.some((t) => t.endsWith('.xsb'))) throw new ModdableBuildError(`the xsl line of ${makefile} names no module`);

  const compile = time('xsc+xsid', () => run('make', ['-f', makefile, ...targets], tmpDir, env));
  const compileLines = compile.output.split('\n').filter((l) => l.trim() && !l.startsWith('# xs'));
  const compileErrors = compileLines.filter((l) => ERROR_LINE.test(l));
  if (compile.status !== 0 || compileErrors.length) {
    throw new ModdableBuildError(`xsc/xsid failed (make exit ${compile.status}):\n${(compileErrors.length ? compileErrors : compileLines).join('\n')}`);
  }
  const missing = targets.filter((t) => !fs.existsSync(t));
  if (missing.length) throw new ModdableBuildError(`make did not produce ${missing.join(', ')}`);

  const preload = (step: string): XslReport => {
    fs.rmSync(mcXsC, { force: true });
    const xsl = time(step, () => run('bash', ['-c', xslLine], tmpDir, env));
    const report = parseXslOutput(xsl.output);
    const xslErrors = xsl.output.split('\n').filter((l) => /^### error|error:/i.test(l.trim()));
    if (xsl.status !== 0 || xslErrors.length || !fs.existsSync(mcXsC) || Number.isNaN(report.instances)) {
      throw new ModdableBuildError(`xsl (preload) failed (exit ${xsl.status}):\n${(xslErrors.length ? xslErrors.join('\n') : xsl.output.trim())}`);
    }
    return report;
  };
  const report = preload('xsl');
  const mcXsCText = fs.readFileSync(mcXsC, 'utf8');
  let readableXsl: XslReport | undefined;
  if (options.readable !== undefined) {
    fs.writeFileSync(path.join(project, options.bundleFile ?? 'ikelet/ikelet.js'), options.readable);
    const bundleTargets = targets.filter((t) => t.endsWith('/ikelet.xsb'));
    for (const t of bundleTargets) fs.rmSync(t);
    const again = run('make', ['-f', makefile, ...bundleTargets], tmpDir, env);
    if (again.status !== 0) throw new ModdableBuildError(`xsc of the readable bundle failed:\n${again.output.trim()}`);
    readableXsl = preload('xsl (readable)');
  }
  return {
    tmpDir, targets, mcconfigOutput: mcconfig.output, compileWarnings: compileLines.filter((l) => /warning/i.test(l)),
    xsl: report, ...(readableXsl ? { readableXsl } : {}), mcXsC: mcXsCText, timings,
  };
}

export function formatXslSummary(r: XslReport): string {
  const nf = r.warnings.filter((w) => w.kind === 'not frozen').length;
  const nc = r.warnings.length - nf;
  return `${r.instances} instances, ${r.keys} keys; ${nf} "not frozen", ${nc} "no const"`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { project: { type: 'string' }, manifest: { type: 'string' }, verbose: { type: 'boolean', short: 'v' } } });
  const found = findModdableSdk();
  if (!found.ok) {
    console.error(`check:moddable: ${found.reason}`);
    process.exit(1);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-moddable-'));
  try {
    let project = values.project ? path.resolve(values.project) : undefined;
    let readable: string | undefined;
    if (!project) {
      const { buildEsp32 } = await import('./build-esp32.ts');
      const manifest = values.manifest ?? path.join(work, 'manifest.json');
      if (!values.manifest) fs.writeFileSync(manifest, JSON.stringify({ config: { psk: 'check-moddable-throwaway-psk' } }));
      project = path.join(work, 'build', 'esp32');
      readable = (await buildEsp32(manifest, project)).bundle.readable;
    }
    const r = moddableBuild(found.sdk, project, work, readable !== undefined ? { readable } : {});
    console.log(`Moddable SDK: ${found.sdk.root} (${found.sdk.from})`);
    console.log(`mcconfig -m -p esp32, xsc/xsid (${r.targets.length} targets), xsl: ok (${Object.entries(r.timings).map(([k, v]) => `${k} ${v} ms`).join(', ')})`);
    for (const w of r.compileWarnings) console.log(`  ${w}`);
    console.log(`xsl: ${formatXslSummary(r.xsl)}`);
    if (r.readableXsl && readable !== undefined) {
      const { attributeWarnings, warningsByFolder } = await import('./preload-warnings.ts');
      const attributed = attributeWarnings(readable, r.readableXsl.warnings);
      console.log(`xsl on the readable bundle: ${formatXslSummary(r.readableXsl)}; by folder (not frozen / no const):`);
      for (const [folder, nf, nc] of warningsByFolder(attributed)) console.log(`  ${folder.padEnd(32)} ${String(nf).padStart(4)} ${String(nc).padStart(4)}`);
      if (values.verbose) for (const w of attributed) console.log(`  ${w.file}: ${w.binding}: ${w.kind}  (${w.path})`);
    } else if (values.verbose) for (const w of r.xsl.warnings) console.log(`  ${w.module}: ${w.path}: ${w.kind}`);
  } catch (e) {
    console.error(`check:moddable: ${(e as Error).message}`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
