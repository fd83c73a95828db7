/**
 * The ESP32 builds. ikelet reaches a Moddable project as an include manifest and what it names (the
 * device bundle, the setup module that starts the agent before the project's main, the natives):
 *   npm run build:ikelet -- --manifest <your project's manifest.json> [--out <dir>]
 *     writes that part (default build/ikelet/, which manifests/ikelet/manifest.json includes) from
 *     your manifest's config; your project adds "$(IKELET)/manifests/ikelet/manifest.json" to its include.
 *   npm run build:esp32 [-- --manifest <file>]
 *     writes build/esp32/, ikelet's own project (the part in build/esp32/ikelet/ and a main of its
 *     own) to hand to `cd build/esp32 && mcconfig -d -m -p esp32`.
 * The part's structure comes from manifests/esp32/manifest.json (paths there are relative to the
 * part's folder); config from the same file with the given manifest's merged over it, validated and
 * completed with every default so the device never runs on a setting it did not get.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEVICE_TARGET, buildDevice, type DeviceBundle } from './build-lib.ts';
import { checkConfig, formatConfigErrors, ownConfig, type ManifestConfig } from '../src/config/validate.ts';
import { checkManifestShape, mergedConfig } from './manifest.ts';

export const ESP32_TEMPLATE = 'manifests/esp32/manifest.json';
export const ESP32_OUT = 'build/esp32';
export const IKELET_OUT = 'build/ikelet';
/** Where build:esp32 puts the part inside its project. */
export const PART_DIR = 'ikelet';
/** Moddable modules the setup and main modules import: resolved by mcconfig, never bundled. */
const MODDABLE_MODULES = ['mc/config', 'timer', 'time', 'ota', 'preference', 'ikelet', 'ikelet/uart', 'ikelet/random', 'ikelet/crypto'];
/**
 * A user's project gets the template's creation (ikelet's measured need) with room for its app: the
 * heaps may grow (the SDK's own default increments) and the stack is deeper (an app's callbacks run
 * on top of ikelet's). ikelet's own project keeps the template's fixed creation, which the budget
 * tests measure; a project that measures its own sets a fixed creation of its own (README).
 */
const PROJECT_ROOM = { chunk: { incremental: 1024 }, heap: { incremental: 64 }, stack: 1024 };
/** The natives the part carries, each a folder of hosts/esp32 with its own manifest. */
const NATIVES = ['uart', 'random'];

export interface Esp32Build {
  /** Config warnings (defaults worth knowing about). */
  warnings: string[];
  /** The device bundle written to ikelet.js (and its readable form). */
  bundle: DeviceBundle;
  /** The folder holding ikelet's include manifest, ikelet.js, setup.js and the natives. */
  part: string;
  /** The validated config, every default filled in (the part's manifest carries it). */
  config: ManifestConfig;
}

interface ConfigSource {
  /** A manifest whose config is merged over the template's. */
  manifest: string;
  /** A user's project: keys that are not ikelet's (nor look like a misspelt one) are the app's own, passed over. */
  project?: boolean;
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

/** The template's config with the manifest's merged over it, validated; refuses the placeholder PSK. */
function deviceConfig(source: ConfigSource, what: string): { config: ManifestConfig; warnings: string[]; foreign: string[] } {
  const template = readJson(ESP32_TEMPLATE);
  // The user's manifest wins key by key over the template; the merge is validated as a whole.
  const given = source.manifest === ESP32_TEMPLATE ? {} : mergedConfig(source.manifest, 'esp32');
  const { config: own, foreign } = source.project ? ownConfig(given) : { config: given, foreign: [] };
  const raw = { ...mergedConfig(ESP32_TEMPLATE, 'esp32'), ...own };
  const checked = checkConfig(raw);
  if (!checked.ok) throw new Error(formatConfigErrors(checked.errors, `config for ${what} (from ${source.manifest})`));
  // A device shipped with the template's PSK would share a published secret with every other one.
  if (checked.config.psk === (template.config as { psk?: unknown } | undefined)?.psk) {
    throw new Error(`config.psk: still the placeholder of ${ESP32_TEMPLATE}; set this deployment's own pre-shared key (in your manifest, or mcconfig psk=...)`);
  }
  return { config: checked.config, foreign, warnings: [...checked.warnings, ...(foreign.length ? [`config: ${foreign.join(', ')} passed over (not ikelet's; your app reads them)`] : [])] };
}

const bundleModule = (entry: string, outfile: string, define: Record<string, string> = {}) =>
  build({ entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'neutral', target: DEVICE_TARGET, external: MODDABLE_MODULES, define, logLevel: 'silent' });

/** Settings mcconfig adds to every project's config (the display's), not the agent's. */
const MODDABLE_CONFIG_KEYS = ['format', 'rotation'];

/** Writes ikelet's part into `dir`: the include manifest (the template's structure, this config), the bundle, setup.js, the natives. */
async function writePart(config: ManifestConfig, dir: string, foreign: readonly string[]): Promise<DeviceBundle> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const bundle = await buildDevice({ entry: 'src/index.ts', outfile: path.join(dir, 'ikelet.js'), minify: true, configured: { ...config, nativeFrame: true }, preload: true });
  // The keys the build found to be the app's (and mcconfig's) are passed over at boot without the
  // near-miss search (an edit distance to every key: about 0.5 M XS computrons a key).
  await bundleModule('hosts/esp32/setup.ts', path.join(dir, 'setup.js'), { IKELET_FOREIGN_KEYS: JSON.stringify([...MODDABLE_CONFIG_KEYS, ...foreign]) });
  fs.copyFileSync('hosts/esp32/network.js', path.join(dir, 'network.js'));
  for (const native of NATIVES) fs.cpSync(path.join('hosts/esp32', native), path.join(dir, native), { recursive: true });
  // Moddable C modules shared by the ESP32 and its twin (the manifest includes ./native/<m>/manifest.json).
  fs.cpSync('hosts/native', path.join(dir, 'native'), { recursive: true });
  const template = readJson(ESP32_TEMPLATE) as { creation: Record<string, unknown> };
  const creation = { ...template.creation } as Record<string, unknown>;
  for (const [k, v] of Object.entries(PROJECT_ROOM)) creation[k] = typeof v === 'object' ? { ...(creation[k] as object), ...v } : Math.max(Number(creation[k]), v);
  // The native crypto module only for a build whose backend is native.
  const include = [...((template as { include?: string[] }).include ?? []), ...(config.crypto === 'native' ? ['./native/crypto/manifest.json'] : [])];
  fs.writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify({ ...template, include, creation, config }, null, '\t')}\n`);
  return bundle;
}

function checkShape(manifest: string): void {
  const problems = checkManifestShape(manifest, { requirePlatforms: ['esp32'], followIncludes: true });
  if (problems.length) throw new Error(`generated ${manifest} is not valid:\n  ${problems.join('\n  ')}`);
}

/**
 * ikelet's own project: the part in `out/ikelet/` and a main with nothing to do (the agent starts in
 * setup). `main`: another module in its place (a test program for the twin).
 */
export async function buildEsp32(configManifest = ESP32_TEMPLATE, out = ESP32_OUT, main = 'hosts/esp32/main.ts'): Promise<Esp32Build> {
  const { config, warnings, foreign } = deviceConfig({ manifest: configManifest }, out);
  fs.rmSync(out, { recursive: true, force: true });
  const part = path.join(out, PART_DIR);
  const bundle = await writePart(config, part, foreign);
  await bundleModule(main, path.join(out, 'main.js'));
  const project = {
    include: ['$(MODDABLE)/examples/manifest_base.json', `./${PART_DIR}/manifest.json`],
    modules: { '*': ['./main'] },
    creation: readJson(ESP32_TEMPLATE).creation,
    platforms: { esp32: {}, '...': { error: 'ikelet: this project targets esp32 (mcconfig -d -m -p esp32)' } },
  };
  fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(project, null, '\t')}\n`);
  checkShape(path.join(out, 'manifest.json'));
  return { warnings, bundle, part, config };
}

/**
 * ikelet's part for a user's project, from that project's manifest: its config keys that are not
 * ikelet's are the app's own and passed over, unless one looks like a misspelt ikelet key (ownConfig).
 */
export async function buildIkelet(projectManifest: string, out = IKELET_OUT): Promise<Esp32Build> {
  const { config, warnings, foreign } = deviceConfig({ manifest: projectManifest, project: true }, out);
  const bundle = await writePart(config, out, foreign);
  checkShape(path.join(out, 'manifest.json'));
  return { warnings, bundle, part: out, config };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { manifest: { type: 'string' }, out: { type: 'string' }, part: { type: 'boolean' } } });
  try {
    if (values.part) {
      if (!values.manifest) throw new Error('build:ikelet: --manifest <your project\'s manifest.json> is needed');
      const out = values.out ?? IKELET_OUT;
      const { warnings } = await buildIkelet(values.manifest, out);
      for (const w of warnings) console.warn(`warning: ${w}`);
      console.log(`built ${out}/: your project includes it through "$(IKELET)/manifests/ikelet/manifest.json" (IKELET=${process.cwd()})${out === IKELET_OUT ? '' : `, or "${path.resolve(out)}/manifest.json"`}`);
    } else {
      const out = values.out ?? ESP32_OUT;
      const { warnings } = await buildEsp32(values.manifest ?? ESP32_TEMPLATE, out);
      for (const w of warnings) console.warn(`warning: ${w}`);
      console.log(`built ${out}/: cd ${out} && mcconfig -d -m -p esp32`);
    }
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
