/**
 * The small checks config sections are written with. Each takes the value first and returns the
 * expected form, or undefined. A section's check is a plain arrow that calls one with literals,
 * `(v) => intIn(v, 1, 10)`: nothing is captured, so the preloaded sections hold no closure state
 * for XS to copy to RAM (a factory `intIn(1, 10)` would close over its parameters).
 */
import type { Check } from './section.ts';

export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export const intIn = (v: unknown, min: number, max: number, note = ''): string | undefined => (isInt(v) && v >= min && v <= max ? undefined : `an integer ${min}..${max}${note}`);

export const oneOf = (v: unknown, values: readonly (string | number)[], form = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`): string | undefined =>
  values.includes(v as string | number) ? undefined : form;

export const stringMax = (v: unknown, max: number, form = `a string of at most ${max} characters`): string | undefined => (typeof v === 'string' && v.length <= max ? undefined : form);

export const matches = (v: unknown, re: RegExp, form: string): string | undefined => (typeof v === 'string' && re.test(v) ? undefined : form);

export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');

/** A host name or an IPv4 literal, or '' for "off". */
export const hostOrOff: Check = (v) =>
  typeof v === 'string' && (v === '' || /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v)) ? undefined : "'' (off) or a host name such as broker.lab.example";

export const urlPath: Check = (v) => (typeof v === 'string' && /^\/[\x21-\x7e]{0,254}$/.test(v) ? undefined : "an absolute path such as '/firmware/manifest.json'");

/** How a value is shown in an error: secrets by type and length only. */
export function describeValue(value: unknown, secret: boolean): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return secret ? 'an array' : JSON.stringify(value).slice(0, 60);
  if (typeof value === 'string') return secret ? `a string of ${value.length} characters` : JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'object') return 'an object';
  return secret ? `a ${typeof value}` : String(value);
}

/** A non-empty array whose every string passes `item`; one message per bad entry. */
export function listOf(v: unknown, key: string, form: string, item: (s: string) => string | undefined): string[] {
  if (!Array.isArray(v) || v.length === 0) return [`config.${key}: expected a non-empty array of ${form} (got ${describeValue(v, false)})`];
  const errors: string[] = [];
  v.forEach((s, i) => {
    const why = typeof s === 'string' ? item(s) : `expected ${form}`;
    if (why) errors.push(`config.${key}[${i}]: ${why} (got ${describeValue(s, false)})`);
  });
  return errors;
}
