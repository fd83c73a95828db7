/**
 * esbuild builds shared by `npm run build`, the tests and the hosts.
 * The device bundle is one ES module for XS: ES2020 target (native static class fields
 * bundled from noble broke in XS with es2022), platform neutral, and no Node built-in may
 * be reached from src/ (the plugin below fails the build, naming the importer).
 */
import { build, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import path from 'node:path';

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

export interface DeviceBuildOptions {
  entry: string;
  outfile: string;
  minify?: boolean;
}

export async function buildDevice({ entry, outfile, minify = false }: DeviceBuildOptions): Promise<void> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: DEVICE_TARGET,
    mainFields: ['module', 'main'],
    minify,
    treeShaking: true,
    logLevel: 'silent',
    metafile: true,
    plugins: [noNodeBuiltins],
    // Any free reference to a Node global becomes a reference to this marker, which we then find.
    define: Object.fromEntries(NODE_GLOBALS.map((g) => [g, `__NODE_GLOBAL_${g}__`])),
    write: false,
  });
  const out = result.outputFiles[0]!;
  const hit = /__NODE_GLOBAL_(\w+?)__/.exec(out.text);
  if (hit) throw new Error(`device code may not use the Node global "${hit[1]}" (found in the bundle of ${entry})`);
  const fs = await import('node:fs/promises');
  await fs.mkdir(path.dirname(outfile), { recursive: true });
  await fs.writeFile(outfile, out.contents);
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
