/**
 * esbuild builds shared by `npm run build`, the tests and the hosts.
 * The device bundle is one ES module for XS: ES2020 target (native static class fields
 * bundled from noble broke in XS with es2022), platform neutral, and no Node built-in may
 * be reached from src/ (the plugin below fails the build, naming the importer).
 */
import { build, transform, type BuildOptions, type Plugin } from 'esbuild';
import fs from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { constifyTopLevel } from './constify.ts';
import { deviceModules, type DeviceFeatures } from './device-modules.ts';
import { preloadSafeEntry, preloadSafeScratch, scratchPlan } from './preload-safe.ts';
import { xsDirectCopies } from './xs-copies.ts';

export const DEVICE_TARGET = 'es2020';

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Fails the build when device code imports a Node built-in. */
export const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.path.startsWith('node:') || nodeBuiltins.has(args.path)) {
        return { errors: [{ text: `device code may not import the Node built-in "${args.path}" (imported by ${path.relative(process.cwd(), args.importer)})` }] };
      }
      return undefined;
    });
  },
};

/** Node globals that do not exist in XS/Moddable; referencing one is a build error. */
const NODE_GLOBALS = ['Buffer', 'process', 'require', '__dirname', '__filename', 'global', 'setImmediate'];

/**
 * TypeScript class fields as assignments in the constructor: no `__publicField(this, "x", ...)`
 * call per field in the bundle, and a field declared without a value costs nothing.
 */
export const DEVICE_TSCONFIG = { compilerOptions: { useDefineForClassFields: false } };

export interface DeviceBuildOptions {
  entry: string;
  /** Written when given. */
  outfile?: string;
  minify?: boolean;
  /** The config that decides which algorithms (and PPP auth methods) are bundled; default all of them. */
  configured?: DeviceFeatures;
  /** For a build that XS preloads (the ESP32 build): library scratch buffers made at boot (preload-safe.ts). */
  preload?: boolean;
}

export interface DeviceBundle {
  code: string;
  /** The same bundle before minification (names and lines kept, top-level `const` restored). */
  readable: string;
  /** Top-level bindings the code writes (left `var`, see constify.ts). */
  mutable: string[];
}

/** esbuild options shared by every device bundle (also the XS test host's, hosts/xs/bundle.ts). */
export function deviceBuildOptions(configured?: DeviceFeatures) {
  return {
    bundle: true,
    platform: 'neutral',
    target: DEVICE_TARGET,
    mainFields: ['module', 'main'],
    treeShaking: true,
    logLevel: 'silent',
    tsconfigRaw: DEVICE_TSCONFIG,
    plugins: [noNodeBuiltins, xsDirectCopies, ...(configured ? [deviceModules(configured)] : [])],
    // Any free reference to a Node global becomes a reference to this marker, which we then find.
    define: Object.fromEntries(NODE_GLOBALS.map((g) => [g, `__NODE_GLOBAL_${g}__`])),
    write: false,
  } satisfies BuildOptions;
}

/**
 * The device bundle: one ES module for XS. Built readable, its top-level declarations made `const`
 * again (constify.ts), then minified by an esbuild transform (which keeps `const`).
 */
export async function buildDevice({ entry, outfile, minify = false, configured, preload = false }: DeviceBuildOptions): Promise<DeviceBundle> {
  const options = deviceBuildOptions(configured);
  let input: Pick<BuildOptions, 'entryPoints' | 'stdin'> = { entryPoints: [entry] };
  if (preload) {
    const first = await build({ ...options, entryPoints: [entry], format: 'esm', metafile: true });
    const inputs = Object.keys(Object.values(first.metafile.outputs)[0]!.inputs).map((f) => path.resolve(f));
    const plan = scratchPlan(inputs, first.outputFiles[0]!.text);
    input = { stdin: { contents: preloadSafeEntry(path.resolve(entry), [...plan.keys()]), resolveDir: process.cwd(), sourcefile: 'device-entry.js', loader: 'js' } };
    options.plugins.push(preloadSafeScratch(plan));
  }
  // minifySyntax here (it declares nested `const`s as the shorter `let`); names and lines stay for constify.
  const result = await build({ ...options, ...input, format: 'esm', minifySyntax: true });
  const bundled = result.outputFiles[0]!.text;
  const hit = /__NODE_GLOBAL_(\w+?)__/.exec(bundled);
  if (hit) throw new Error(`device code may not use the Node global "${hit[1]}" (found in the bundle of ${entry})`);
  const { code: readable, mutable } = await constifyTopLevel(bundled, DEVICE_TARGET);
  const code = minify ? (await transform(readable, { format: 'esm', target: DEVICE_TARGET, minify: true, treeShaking: true, logLevel: 'silent' })).code : readable;
  if (outfile) {
    await fs.mkdir(path.dirname(outfile), { recursive: true });
    await fs.writeFile(outfile, code);
  }
  return { code, readable, mutable };
}

/** Bytes of each input file in the minified device bundle, from esbuild's metafile. */
export async function deviceBundleInputs(entry: string, configured?: DeviceFeatures): Promise<Map<string, number>> {
  const result = await build({ ...deviceBuildOptions(configured), entryPoints: [entry], format: 'esm', minify: true, metafile: true });
  const inputs = Object.values(result.metafile.outputs)[0]!.inputs;
  return new Map(Object.entries(inputs).map(([file, { bytesInOutput }]) => [file, bytesInOutput]));
}

export async function buildSim(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    packages: 'external',
  });
}
