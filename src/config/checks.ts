/**
 * Check helpers for config sections, and `resolveSection`, which applies one section to a raw
 * `config` (defaults, checks, parse) until the lead's validator composes every section.
 */
import { err, ok, type Result } from '../util/result.ts';
import type { Check, ConfigSection } from './section.ts';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export const intIn = (min: number, max: number, note = ''): Check => (v) => (isInt(v) && v >= min && v <= max ? undefined : `an integer ${min}..${max}${note}`);
export const stringMax = (max: number, form = `a string of at most ${max} characters`): Check => (v) => (typeof v === 'string' && v.length <= max ? undefined : form);
export const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
/** A host name or an IPv4 literal, or '' for "off". */
export const hostOrOff: Check = (v) =>
  typeof v === 'string' && (v === '' || /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v)) ? undefined : "'' (off) or a host name such as broker.lab.example";
export const urlPath: Check = (v) => (typeof v === 'string' && /^\/[\x21-\x7e]{0,254}$/.test(v) ? undefined : "an absolute path such as '/firmware/manifest.json'");

/** Applies one section to raw settings: unknown keys are left to other sections. */
export function resolveSection<R extends object, P>(section: ConfigSection<R, P>, raw: Partial<R> & Record<string, unknown>): Result<P, string[]> {
  const merged: Record<string, unknown> = { ...section.defaults };
  for (const key of Object.keys(section.checks)) if (raw[key] !== undefined) merged[key] = raw[key];
  const errors: string[] = [];
  for (const key of section.required ?? []) if (merged[key] === undefined) errors.push(`config.${key}: required setting is missing`);
  const secret = (key: string) => (section.secrets as readonly string[] | undefined)?.includes(key) ?? false;
  for (const [key, check] of Object.entries(section.checks) as [string, (v: unknown, k: string) => string | string[] | undefined][]) {
    if (merged[key] === undefined) continue;
    const out = check(merged[key], key);
    const got = secret(key) ? `a ${typeof merged[key]}` : JSON.stringify(merged[key])?.slice(0, 60);
    if (typeof out === 'string') errors.push(`config.${key}: expected ${out} (got ${got})`);
    else if (Array.isArray(out)) errors.push(...out);
  }
  if (errors.length === 0 && section.cross) section.cross(merged as R, { error: (m) => errors.push(m), warn: () => {} });
  return errors.length ? err(errors) : ok(section.parse(merged as R));
}
