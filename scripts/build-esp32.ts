/**
 * `npm run build:esp32 [-- --manifest <file>]`: writes build/esp32/, the folder to hand to
 *   cd build/esp32 && mcconfig -d -m -p esp32
 * Structure comes from manifests/esp32/manifest.json (paths there are relative to build/esp32);
 * config from the same file, or from --manifest (merged over it), validated and completed with
 * every default so the device never runs on a setting it did not get.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEVICE_TARGET, buildDevice, type DeviceBundle } from './build-lib.ts';
import { checkConfig, formatConfigErrors } from '../src/config/validate.ts';
import { checkManifestShape, mergedConfig } from './manifest.ts';

export const ESP32_TEMPLATE = 'manifests/esp32/manifest.json';
export const ESP32_OUT = 'build/esp32';
/** Moddable modules main.ts imports: resolved by mcconfig, never bundled. */
const MODDABLE_MODULES = ['mc/config', 'timer', 'time', 'ota', 'ikelet', 'ikelet/uart', 'ikelet/random', 'ikelet/crypto'];

export interface Esp32Build {
  /** Config warnings (defaults worth knowing about). */
  warnings: string[];
  /** The device bundle written to ikelet.js (and its readable form). */
  bundle: DeviceBundle;
}

/** `main`: another host module in place of hosts/esp32/main.ts (a test program for the twin). */
export async function buildEsp32(configManifest = ESP32_TEMPLATE, out = ESP32_OUT, main = 'hosts/esp32/main.ts'): Promise<Esp32Build> {
  const template = JSON.parse(fs.readFileSync(ESP32_TEMPLATE, 'utf8')) as Record<string, unknown>;
  // The user's manifest wins key by key over the template; the merge is validated as a whole.
  const raw = { ...mergedConfig(ESP32_TEMPLATE, 'esp32'), ...(configManifest === ESP32_TEMPLATE ? {} : mergedConfig(configManifest, 'esp32')) };
  const checked = checkConfig(raw);
  if (!checked.ok) throw new Error(formatConfigErrors(checked.errors, `config for ${out} (from ${configManifest})`));
  const { config, warnings } = checked;
  // A device shipped with the template's PSK would share a published secret with every other one.
  if (config.psk === (template.config as { psk?: unknown } | undefined)?.psk) {
    throw new Error(`config.psk: still the placeholder of ${ESP32_TEMPLATE}; set this deployment's own pre-shared key (in your manifest, or mcconfig psk=...)`);
  }

  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const bundle = await buildDevice({ entry: 'src/index.ts', outfile: path.join(out, 'ikelet.js'), minify: true, configured: config, preload: true });
  await build({
    entryPoints: [main],
    outfile: path.join(out, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: DEVICE_TARGET,
    external: MODDABLE_MODULES,
    logLevel: 'silent',
  });
  for (const native of ['uart', 'random']) fs.cpSync(path.join('hosts/esp32', native), path.join(out, native), { recursive: true });
  // Moddable C modules shared by the ESP32 and its twin (the manifest includes ./native/<m>/manifest.json).
  fs.cpSync('hosts/native', path.join(out, 'native'), { recursive: true });
  // The native crypto module only for a build whose backend is native.
  const include = [...((template.include as string[] | undefined) ?? []), ...(config.crypto === 'native' ? ['./native/crypto/manifest.json'] : [])];

  const manifest = { ...template, include, config };
  fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, '\t')}\n`);
  const problems = checkManifestShape(path.join(out, 'manifest.json'), { requirePlatforms: ['esp32'], followIncludes: true });
  if (problems.length) throw new Error(`generated ${out}/manifest.json is not valid:\n  ${problems.join('\n  ')}`);
  return { warnings, bundle };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { manifest: { type: 'string' }, out: { type: 'string' } } });
  try {
    const { warnings } = await buildEsp32(values.manifest ?? ESP32_TEMPLATE, values.out ?? ESP32_OUT);
    for (const w of warnings) console.warn(`warning: ${w}`);
    console.log(`built ${values.out ?? ESP32_OUT}/: cd ${values.out ?? ESP32_OUT} && mcconfig -d -m -p esp32`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
