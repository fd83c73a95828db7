/**
 * Moddable manifests on the Node side: load one, merge its `config` (included manifests
 * first, then the manifest itself, then `platforms[<platform>].config`), validate it with
 * src/config/validate.ts (the one validator), and check a manifest's shape against Moddable's format.
 * Used by the sim and xs hosts (config), by build:esp32 and by the manifest tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkConfig, formatConfigErrors, type ManifestConfig, type Settings } from '../src/config/validate.ts';

/** Top-level properties of Moddable's manifest format (documentation/tools/manifest.md). */
export const MANIFEST_KEYS = ['build', 'include', 'creation', 'defines', 'config', 'strip', 'modules', 'preload', 'resources', 'data', 'platforms', 'bundle', 'recipes', 'typescript'] as const;
/** What a `platforms` entry may hold. */
export const PLATFORM_KEYS = ['include', 'modules', 'preload', 'resources', 'data', 'defines', 'recipes', 'config', 'creation', 'build', 'strip', 'error', 'warning', 'dependency'] as const;

export type Manifest = Partial<Record<(typeof MANIFEST_KEYS)[number], unknown>> & Record<string, unknown>;

export interface LoadedManifest {
  path: string;
  manifest: Manifest;
  /** The merged `config` with defaults filled in (what the device will read). */
  config: ManifestConfig;
  /** The same, parsed the way the agent parses it at start. */
  settings: Settings;
  warnings: string[];
}

export interface LoadOptions {
  /** Which `platforms` entry adds config overrides ('esp32', 'sim', 'xs', ...). */
  platform?: string;
  /** Last-word overrides, like mcconfig's `key=value` arguments. */
  overrides?: Record<string, unknown>;
}

const readJson = (file: string): Manifest => {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`manifest ${file}: cannot be read`);
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch (e) {
    throw new Error(`manifest ${file}: not JSON (${(e as Error).message})`);
  }
};

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Included manifests we can follow: relative paths (not $(MODDABLE)/..., not git objects). */
function localIncludes(manifest: Manifest, dir: string): string[] {
  return asList(manifest.include)
    .filter((i): i is string => typeof i === 'string' && !i.includes('$('))
    .map((i) => path.resolve(dir, i))
    .filter((p) => fs.existsSync(p));
}

/** The merged raw config of a manifest and everything it includes (depth first, like mcconfig). */
export function mergedConfig(file: string, platform?: string, seen = new Set<string>()): Record<string, unknown> {
  const abs = path.resolve(file);
  if (seen.has(abs)) return {};
  seen.add(abs);
  const manifest = readJson(abs);
  let config: Record<string, unknown> = {};
  for (const inc of localIncludes(manifest, path.dirname(abs))) config = { ...config, ...mergedConfig(inc, platform, seen) };
  if (manifest.config !== undefined && !isPlainObject(manifest.config)) throw new Error(`manifest ${file}: config: expected an object`);
  config = { ...config, ...(manifest.config as Record<string, unknown> | undefined) };
  const platforms = isPlainObject(manifest.platforms) ? manifest.platforms : {};
  const entry = platform ? platforms[platform] : undefined;
  if (isPlainObject(entry) && isPlainObject(entry.config)) config = { ...config, ...entry.config };
  return config;
}

/** Loads and validates; throws one Error listing every problem (never a secret's value). */
export function loadManifest(file: string, options: LoadOptions = {}): LoadedManifest {
  const manifest = readJson(file);
  const raw = { ...mergedConfig(file, options.platform), ...options.overrides };
  const r = checkConfig(raw);
  if (!r.ok) throw new Error(formatConfigErrors(r.errors, `config in ${file}`));
  return { path: file, manifest, config: r.config, settings: r.settings, warnings: r.warnings };
}

/** Just the (validated, defaults filled in) config of a manifest, for hosts. */
export const configFromManifest = (file: string, options: LoadOptions = {}): ManifestConfig => loadManifest(file, options).config;

/** Where a module path (no extension, maybe ending in '*') finds files, relative to the manifest. */
function moduleFilesExist(spec: string, dir: string): boolean {
  if (spec.includes('$(')) return true; // SDK paths: only mcconfig can resolve them
  const base = path.resolve(dir, spec);
  if (spec.endsWith('*')) return fs.existsSync(path.dirname(base));
  return ['.js', '.ts', '.c', '.cpp', '.m'].some((ext) => fs.existsSync(base + ext));
}

/** Module names a manifest declares (named keys, and file names under '*'). */
function declaredModules(modules: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  for (const [key, value] of Object.entries(modules)) {
    if (key !== '*') names.add(key);
    else for (const p of asList(value)) if (typeof p === 'string' && !p.endsWith('*')) names.add(path.basename(p));
  }
  return names;
}

export interface ShapeOptions {
  /** Platforms that must have an entry under `platforms` (e.g. ['esp32']). */
  requirePlatforms?: string[];
  /** Also check the manifests it includes by relative path. */
  followIncludes?: boolean;
}

/**
 * Checks a manifest against Moddable's format: only known top-level keys, well-formed
 * include/modules/preload/platforms, module paths that exist, preloads that are declared,
 * and a valid `config`. Returns every problem found (empty when fine).
 */
export function checkManifestShape(file: string, options: ShapeOptions = {}): string[] {
  const errors: string[] = [];
  const dir = path.dirname(path.resolve(file));
  let manifest: Manifest;
  try {
    manifest = readJson(file);
  } catch (e) {
    return [(e as Error).message];
  }
  const where = (field: string) => `${path.relative(process.cwd(), file)}: ${field}`;
  for (const key of Object.keys(manifest)) if (!(MANIFEST_KEYS as readonly string[]).includes(key)) errors.push(`${where(key)}: not a Moddable manifest property (known: ${MANIFEST_KEYS.join(', ')})`);

  for (const inc of asList(manifest.include)) {
    if (typeof inc === 'string') {
      if (!inc.includes('$(') && !fs.existsSync(path.resolve(dir, inc))) errors.push(`${where('include')}: ${inc} does not exist`);
    } else if (!isPlainObject(inc) || typeof inc.git !== 'string') errors.push(`${where('include')}: expected manifest paths or { git } objects`);
  }

  const declared = new Set<string>();
  const checkModules = (modules: unknown, field: string) => {
    if (modules === undefined) return;
    if (!isPlainObject(modules)) return void errors.push(`${where(field)}: expected an object of module name -> path(s)`);
    for (const [name, value] of Object.entries(modules)) {
      const paths = asList(value);
      if (paths.length === 0 || paths.some((p) => typeof p !== 'string')) errors.push(`${where(`${field}.${name}`)}: expected a path or an array of paths`);
      for (const p of paths) if (typeof p === 'string' && !moduleFilesExist(p, dir)) errors.push(`${where(`${field}.${name}`)}: no file for ${p} (.js/.ts/.c) next to the manifest`);
    }
    for (const n of declaredModules(modules)) declared.add(n);
  };
  checkModules(manifest.modules, 'modules');

  if (manifest.platforms !== undefined) {
    if (!isPlainObject(manifest.platforms)) errors.push(`${where('platforms')}: expected an object of platform -> properties`);
    else {
      for (const [name, entry] of Object.entries(manifest.platforms)) {
        if (!isPlainObject(entry)) { errors.push(`${where(`platforms.${name}`)}: expected an object`); continue; }
        for (const k of Object.keys(entry)) if (!(PLATFORM_KEYS as readonly string[]).includes(k)) errors.push(`${where(`platforms.${name}.${k}`)}: not a platform property`);
        checkModules(entry.modules, `platforms.${name}.modules`);
      }
    }
  }
  for (const p of options.requirePlatforms ?? []) {
    if (!isPlainObject(manifest.platforms) || !(p in manifest.platforms)) errors.push(`${where('platforms')}: no entry for ${p}`);
  }

  if (options.followIncludes) {
    for (const inc of localIncludes(manifest, dir)) {
      errors.push(...checkManifestShape(inc, { followIncludes: true }));
      const sub = readJson(inc);
      if (isPlainObject(sub.modules)) for (const n of declaredModules(sub.modules)) declared.add(n);
    }
  }
  if (manifest.preload !== undefined) {
    const preload = asList(manifest.preload);
    for (const m of preload) {
      if (typeof m !== 'string') errors.push(`${where('preload')}: expected module names`);
      else if (options.followIncludes && !declared.has(m)) errors.push(`${where('preload')}: ${m} is not a module of this manifest`);
    }
  }
  if (manifest.creation !== undefined && !isPlainObject(manifest.creation)) errors.push(`${where('creation')}: expected an object`);
  if (manifest.defines !== undefined && !isPlainObject(manifest.defines)) errors.push(`${where('defines')}: expected an object`);
  if (manifest.config !== undefined) {
    const r = checkConfig(mergedConfig(file, options.requirePlatforms?.[0]));
    if (!r.ok) errors.push(...r.errors.map((e) => `${path.relative(process.cwd(), file)}: ${e}`));
  }
  return errors;
}
