/**
 * Builds the one script an xsnap worker evaluates. xsnap's `evaluate` runs a script, not a
 * module, so the device code is bundled as an IIFE with the device build's settings
 * (target ES2020, platform neutral, Node built-ins refused): only the wrapper differs.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEVICE_TARGET, deviceBuildOptions } from '../../scripts/build-lib.ts';
import type { DeviceFeatures } from '../../scripts/device-modules.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../..');

export interface XsBundleOptions {
  /** Module to bundle (a file, or `contents` below). */
  entry?: string;
  /** Inline entry source, resolved from the repo root. */
  contents?: string;
  /** esbuild target; the device build uses ES2020 (see scripts/build-lib.ts). */
  target?: string;
  minify?: boolean;
  /** Bundle only what this config uses, as the device build does (default: everything). */
  configured?: DeviceFeatures;
}

export async function bundleForXs(options: XsBundleOptions): Promise<string> {
  const { entry, contents, target = DEVICE_TARGET, minify = false, configured } = options;
  const result = await build({
    ...deviceBuildOptions(configured),
    ...(contents !== undefined
      ? { stdin: { contents, resolveDir: REPO_ROOT, sourcefile: 'xs-entry.ts', loader: 'ts' as const } }
      : { entryPoints: [entry!] }),
    format: 'iife',
    target,
    minify,
  });
  return result.outputFiles[0]!.text;
}

/**
 * The XS program of the agent host: xs-main.ts plus the device module (default: the device
 * bundle's source entry, src/index.ts; pass build/device/ikelet.js to run the built artifact).
 */
export function agentBundle(deviceModule = 'src/index.ts', minify = false): Promise<string> {
  const device = path.resolve(REPO_ROOT, deviceModule);
  const main = path.join(here, 'xs-main.ts');
  const contents = `import * as device from ${JSON.stringify(device)};\nimport { installXsHost } from ${JSON.stringify(main)};\ninstallXsHost(device);\n`;
  return bundleForXs({ contents, minify });
}
