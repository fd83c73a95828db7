/**
 * The Moddable SDK's host tools (mcconfig, xsc, xsid, xsl) for the checks: found through
 * `$MODDABLE` (a Moddable developer's set-up) or built from the vendored SDK subset by
 * `shared/tools/moddable-host-tools.sh` (cached by that script), looked for beside the checkout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST_TOOLS = 'shared/tools/moddable-host-tools.sh';
const TOOLS = ['mcconfig', 'xsc', 'xsid', 'xsl'] as const;

export interface ModdableSdk {
  /** The MODDABLE directory. */
  root: string;
  /** Where mcconfig, xsc, xsid and xsl are. */
  bin: string;
  /** How it was found, for messages. */
  from: string;
}

export type SdkLookup = { ok: true; sdk: ModdableSdk } | { ok: false; reason: string };

function toolsDir(root: string): string {
  return path.join(root, 'build', 'bin', process.platform === 'darwin' ? 'mac' : 'lin', 'release');
}

function withTools(root: string, from: string): SdkLookup {
  const bin = toolsDir(root);
  const missing = TOOLS.filter((t) => !fs.existsSync(path.join(bin, t)));
  if (missing.length) return { ok: false, reason: `${from}: ${missing.join(', ')} not built in ${bin}` };
  return { ok: true, sdk: { root, bin, from } };
}

/**
 * Where the host-tools script may be: `../shared` beside this checkout and, for a git worktree,
 * beside the main checkout it belongs to.
 */
export function hostToolsScriptCandidates(repo = REPO_ROOT): string[] {
  const dirs = [repo];
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    dirs.push(path.dirname(common));
  } catch {
    // not a git checkout: only the first place
  }
  return [...new Set(dirs.map((d) => path.resolve(d, '..', HOST_TOOLS)))];
}

/**
 * The SDK to use: `$MODDABLE` when set (its tools must be built), else the vendored SDK built by the
 * host-tools script (minutes the first time, then cached). `{ ok: false }` says why there is none.
 */
export function findModdableSdk(env: NodeJS.ProcessEnv = process.env): SdkLookup {
  if (env.MODDABLE) return withTools(path.resolve(env.MODDABLE), `$MODDABLE (${env.MODDABLE})`);
  const script = hostToolsScriptCandidates().find((s) => fs.existsSync(s));
  if (!script) return { ok: false, reason: `no Moddable SDK: $MODDABLE is not set and ${hostToolsScriptCandidates().join(' / ')} does not exist` };
  const run = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const root = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !root) return { ok: false, reason: `${script} failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-5).join(' | ')}` };
  return withTools(root, script);
}

/** The ESP-IDF version the SDK's esp32 build expects (`build.EXPECTED_ESP_IDF` of its device manifest). */
export function expectedEspIdf(sdk: ModdableSdk): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(sdk.root, 'build/devices/esp32/manifest.json'), 'utf8')) as { build?: { EXPECTED_ESP_IDF?: string } };
  return manifest.build?.EXPECTED_ESP_IDF ?? 'v5.0';
}

/**
 * A stand-in for ESP-IDF: mcconfig and the generated makefile only ask `git describe` for its
 * version and source `export.sh`. Nothing that compiles for the chip is in it.
 */
export function stubEspIdf(dir: string, version: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'export.sh'), '# ikelet check: no ESP-IDF here, only its version for mcconfig\n');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=ikelet', '-c', 'user.email=check@ikelet.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', 'export.sh');
  git('commit', '-qm', 'ESP-IDF stand-in');
  git('tag', '-a', version, '-m', version);
  return dir;
}

/**
 * The environment the SDK's tools run in: its bin first, then the system's, and nothing else.
 * Without an Xtensa compiler or idf.py on PATH, `mcconfig -m -p esp32` cannot go on to compile
 * for the chip and flash a board that happens to be plugged in.
 */
export function sdkEnv(sdk: ModdableSdk, idfPath: string): NodeJS.ProcessEnv {
  return {
    HOME: process.env.HOME,
    LANG: 'C',
    MODDABLE: sdk.root,
    IDF_PATH: idfPath,
    PATH: [sdk.bin, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
  };
}
