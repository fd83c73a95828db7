/**
 * What the device bundle costs in flash: its bytes (as build:esp32 writes ikelet.js) and a table per
 * source folder from esbuild's metafile. Folders are whatever the bundle's inputs live in, so a new
 * one (src/mqtt, say) shows up by itself.
 */
import { gzipSync } from 'node:zlib';
import { buildDevice, deviceBundleInputs } from './build-lib.ts';
import type { DeviceFeatures } from './device-modules.ts';
import { ownerFolder } from './preload-warnings.ts';

export interface FlashReport {
  /** Bytes of the minified device bundle. */
  bytes: number;
  gzipBytes: number;
  /** [folder, bytes in esbuild's minified bundle], largest first. */
  folders: [string, number][];
  /** Sum of the folder column (esbuild's one-step minification; the device bundle differs by a few hundred bytes). */
  foldersTotal: number;
}

/** 'src/ike', 'node_modules/@noble/curves', 'src/index.ts', ... for an esbuild input path. */
export function inputFolder(input: string): string {
  const i = input.lastIndexOf('node_modules/');
  return ownerFolder(i >= 0 ? input.slice(i) : input.replace(/^(\.\.\/)+/, ''));
}

export async function flashReport(configured: DeviceFeatures, entry = 'src/index.ts'): Promise<FlashReport> {
  const { code } = await buildDevice({ entry, minify: true, configured, preload: true });
  const folders = new Map<string, number>();
  for (const [input, bytes] of await deviceBundleInputs(entry, configured)) folders.set(inputFolder(input), (folders.get(inputFolder(input)) ?? 0) + bytes);
  const rows = [...folders].filter(([, b]) => b > 0).sort((a, b) => b[1] - a[1]);
  return { bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code).length, folders: rows, foldersTotal: rows.reduce((a, [, b]) => a + b, 0) };
}
