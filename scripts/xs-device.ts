/**
 * Builds hosts/xs-device: the ESP32 project (build:esp32 -> mcconfig -> xsc/xsid -> xsl, as
 * scripts/moddable-check.ts runs it) linked for Linux, 32-bit, against XS compiled from the same SDK.
 * The preloaded heap (mc.xs.c) and the creation values are the ESP32 build's own; host.c supplies
 * the natives, with the native modules of hosts/native/ (every <module>/*.c, linked with the
 * libraries its twin.json names, e.g. {"libs": ["-lsodium"]}). XS's objects are compiled once per
 * SDK and cached.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildEsp32 } from './build-esp32.ts';
import type { DeviceBundle } from './build-lib.ts';
import { moddableBuild, type ModdableBuildResult } from './moddable-check.ts';
import { REPO_ROOT, type ModdableSdk } from './moddable-sdk.ts';

const run = promisify(execFile);
const HOST_DIR = path.join(REPO_ROOT, 'hosts/xs-device');
const NATIVE_DIR = path.join(REPO_ROOT, 'hosts/native');
/** XS sources the ESP32 build compiles (its makefile's XS_OBJ), plus XS's default platform functions. */
const XS_SOURCES = [
  'xsAll', 'xsAPI', 'xsArguments', 'xsArray', 'xsAtomics', 'xsBigInt', 'xsBoolean', 'xsCode', 'xsCommon', 'xsDataView',
  'xsDate', 'xsDebug', 'xsError', 'xsFunction', 'xsGenerator', 'xsGlobal', 'xsJSON', 'xsLexical', 'xsMapSet', 'xsMarshall',
  'xsMath', 'xsMemory', 'xsModule', 'xsNumber', 'xsObject', 'xsPromise', 'xsProperty', 'xsProxy', 'xsRegExp', 'xsRun',
  'xsScope', 'xsScript', 'xsSourceMap', 'xsString', 'xsSymbol', 'xsSyntaxical', 'xsTree', 'xsType', 'xsdtoa', 'xsre', 'xsmc',
  'xsPlatforms',
];
const CFLAGS = ['-m32', '-O2', '-g0', '-std=gnu17', '-w', '-DXSPLATFORM="ikelet_xs.h"', '-DmxInstrument=1', '-DmxMetering=1'];

/** Moddable's `creation` (manifest units: bytes of chunks, count of slots). */
export interface Creation {
  static: number;
  chunk: { initial: number; incremental: number };
  heap: { initial: number; incremental: number };
  stack: number;
  keys: { initial: number; incremental: number; name: number; symbol: number };
  main: string;
}

export interface XsDeviceOptions {
  /** Manifest whose `config` is merged over manifests/esp32 (as `npm run build:esp32 -- --manifest`). */
  manifest: string;
  /** Replaces the project's `creation` (e.g. a roomy one for measuring). */
  creation?: Partial<Creation>;
  /** A host module in place of hosts/esp32/main.ts (a test program). */
  main?: string;
}

export interface XsDeviceBuild {
  binary: string;
  creation: Creation;
  bundle: DeviceBundle;
  moddable: ModdableBuildResult;
}

function includes(sdk: ModdableSdk): string[] {
  const xs = path.join(sdk.root, 'xs');
  return [HOST_DIR, path.join(xs, 'includes'), path.join(xs, 'sources'), path.join(xs, 'platforms')].map((d) => `-I${d}`);
}

/** Compiles XS's sources for the host (cached under ~/.cache/ikelet, keyed by SDK, flags and header). */
export async function xsObjects(sdk: ModdableSdk): Promise<string[]> {
  const key = createHash('sha256')
    .update([sdk.root, fs.readFileSync(path.join(sdk.root, 'xs/sources/xsAll.h')).length, ...CFLAGS, fs.readFileSync(path.join(HOST_DIR, 'ikelet_xs.h'), 'utf8')].join('\n'))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'ikelet', `xs-device-${key}`);
  fs.mkdirSync(dir, { recursive: true });
  const objects = XS_SOURCES.map((s) => path.join(dir, `${s}.o`));
  const missing = XS_SOURCES.filter((_, i) => !fs.existsSync(objects[i]!));
  // Two at a time: the machine is shared.
  for (let i = 0; i < missing.length; i += 2) {
    await Promise.all(missing.slice(i, i + 2).map(async (s) => {
      const tmp = path.join(dir, `${s}.o.${process.pid}`);
      await run('gcc', [...CFLAGS, ...includes(sdk), '-c', path.join(sdk.root, 'xs/sources', `${s}.c`), '-o', tmp]);
      fs.renameSync(tmp, path.join(dir, `${s}.o`));
    }));
  }
  return objects;
}

/** The C files of hosts/native/* and the link flags their twin.json files ask for. */
export function nativeModules(dir = NATIVE_DIR): { sources: string[]; libs: string[] } {
  const sources: string[] = [];
  const libs: string[] = [];
  for (const m of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const folder = path.join(dir, m);
    if (!fs.statSync(folder).isDirectory()) continue;
    sources.push(...fs.readdirSync(folder).filter((f) => f.endsWith('.c')).sort().map((f) => path.join(folder, f)));
    const twin = path.join(folder, 'twin.json');
    if (fs.existsSync(twin)) for (const l of (JSON.parse(fs.readFileSync(twin, 'utf8')) as { libs?: string[] }).libs ?? []) if (!libs.includes(l)) libs.push(l);
  }
  return { sources, libs };
}

/** Stubs for the natives of the ESP32 build that host.c (and the native modules' C) do not implement (they throw if called). */
export function nativeStubs(mcXsH: string, hostC: string): string {
  const implemented = new Set([...hostC.matchAll(/^void (\w+)\(/gm)].map((m) => m[1]!));
  const lines = ['/* Generated by scripts/xs-device.ts: natives of the ESP32 build this Linux host does not provide. */', '#include "xsAll.h"', '#include "mc.xs.h"', ''];
  for (const m of mcXsH.matchAll(/^extern void (\w+)\((xsMachine\* the|void\* data)\);$/gm)) {
    const [, name, params] = m;
    if (implemented.has(name!)) continue;
    lines.push(params === 'void* data' ? `void ${name}(void* data) {}` : `void ${name}(xsMachine* the) { xsUnknownError("${name}: not on the Linux device host"); }`);
  }
  return `${lines.join('\n')}\n`;
}

/** The ESP32 project for `options`, preloaded by the SDK's tools and linked as a Linux program under `work`. */
export async function buildXsDevice(sdk: ModdableSdk, options: XsDeviceOptions, work: string): Promise<XsDeviceBuild> {
  const project = path.join(work, 'project', 'esp32');
  const { bundle, part } = await buildEsp32(options.manifest, project, options.main);
  if (options.creation) {
    // The project's creation wins over its includes' (mcconfig merges include first, then the project).
    const manifestFile = path.join(project, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { creation?: Partial<Creation> };
    manifest.creation = { ...manifest.creation, ...options.creation };
    fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, '\t')}\n`);
  }
  const linked = await xsDeviceOf(sdk, project, work);
  return { ...linked, bundle, creation: projectCreation(project, part) };
}

/** The creation mcconfig gives `project`: ikelet's part's, with the project's own fields over it. */
export function projectCreation(project: string, part: string): Creation {
  const read = (file: string) => (JSON.parse(fs.readFileSync(file, 'utf8')) as { creation?: Partial<Creation> }).creation ?? {};
  const own = read(path.join(project, 'manifest.json'));
  const base = read(path.join(part, 'manifest.json'));
  const merged = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(own)) merged[k] = v && typeof v === 'object' ? { ...(base as Record<string, object>)[k], ...v } : v;
  return merged as unknown as Creation;
}

/** Any Moddable project (a folder with manifest.json; `env` e.g. IKELET for its includes), preloaded by the SDK's tools and linked for Linux under `work`. */
export async function xsDeviceOf(sdk: ModdableSdk, project: string, work: string, env: Record<string, string> = {}): Promise<{ binary: string; moddable: ModdableBuildResult }> {
  const moddable = moddableBuild(sdk, project, work, { env });
  return { binary: await linkXsDevice(sdk, moddable, path.join(work, 'xs-device')), moddable };
}

/**
 * The SDK's portable natives a project's makefile compiles (its modules/data: text decoder and
 * encoder, base64, hex, CRC...): plain C over xsmc, compiled into the twin as they are, so an SDK
 * example that uses them runs there as on the device.
 */
export function portableSdkSources(sdk: ModdableSdk, makefile: string): string[] {
  const data = path.join(sdk.root, 'modules', 'data') + path.sep;
  const rule = /^\$\(TMP_DIR\)\/[^:]+\.c\.o: (\S+\.c)\b/gm;
  return [...new Set([...makefile.matchAll(rule)].map((m) => m[1]!).filter((src) => src.startsWith(data)))].sort();
}

/** Links a project mcconfig and xsl prepared (`moddable`) with host.c as a Linux program in `out`. */
export async function linkXsDevice(sdk: ModdableSdk, moddable: ModdableBuildResult, out: string): Promise<string> {
  const objects = await xsObjects(sdk);
  fs.mkdirSync(out, { recursive: true });
  const hostC = path.join(HOST_DIR, 'host.c');
  const portable = portableSdkSources(sdk, fs.readFileSync(path.join(moddable.tmpDir, 'makefile'), 'utf8'));
  const { sources: modules, libs } = nativeModules();
  const natives = [...modules, ...portable];
  const stubs = path.join(out, 'stubs.c');
  const implemented = [hostC, ...natives].map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  fs.writeFileSync(stubs, nativeStubs(fs.readFileSync(path.join(moddable.tmpDir, 'mc.xs.h'), 'utf8'), implemented));
  const sources = [path.join(moddable.tmpDir, 'mc.xs.c'), hostC, ...natives, stubs];
  // A module's folder in the object's name: two modules may have a C file of the same name.
  const object = (src: string) => path.join(out, `${natives.includes(src) ? `${path.basename(path.dirname(src))}-` : ''}${path.basename(src)}.o`);
  // The SDK's portable C takes the c_* names (c_memcpy, c_read8, ...) from the platform header its hosts include.
  const sdkHeader = (src: string) => (portable.includes(src) ? ['-include', 'xsPlatform.h'] : []);
  const cc = (src: string) => run('gcc', [...CFLAGS, ...includes(sdk), `-I${moddable.tmpDir}`, ...sdkHeader(src), '-c', src, '-o', object(src)]);
  for (let i = 0; i < sources.length; i += 2) await Promise.all(sources.slice(i, i + 2).map(cc)); // two at a time: the machine is shared
  const binary = path.join(out, 'ikelet-xs-device');
  await run('gcc', ['-m32', '-o', binary, ...objects, ...sources.map(object), ...libs, '-lm']);
  return binary;
}

