/**
 * The one validator of the manifest `config`: every section's checks, then its parse. The build
 * runs it on the manifest (scripts/manifest.ts), every host runs it when the agent starts
 * (src/agent/start.ts), and the layers receive its parsed Settings — so build time and run time
 * cannot disagree. Pure TS: no Node API.
 *
 * Every problem is reported, not just the first, as `config.<key>: expected <form> (got <what>)`;
 * secrets (psk, simPin, pppPassword) are described by type and length only.
 */
import { clientsSection, type ClientKind, type ClientsRaw } from '../app/clients-config.ts';
import { probeSection } from '../app/config.ts';
import { cryptoSection, type CryptoBackendName, type CryptoRaw } from '../crypto/config.ts';
import { firmwareSection, type FirmwareConfig, type FirmwareRaw } from '../firmware/config.ts';
import { httpSection, type HttpRaw, type HttpSettings } from '../http/config.ts';
import { mqttSection, type MqttRaw, type MqttSettings } from '../mqtt/config.ts';
import { netSection, type NetManifest, type NetSettings } from '../net/config.ts';
import { ikeSection, type IkeManifest, type IkeSettings } from '../ike/config.ts';
import { modemSection, type ModemManifest, type ModemSettings } from '../modem/config.ts';
import type { LogLevel } from '../platform.ts';
import { LOG_LEVELS } from '../platform.ts';
import { pppSection, type PppManifest, type PppSettings } from '../ppp/config.ts';
import type { BackoffSettings } from '../util/backoff.ts';
import type { ProbeConfig } from '../app/probe.ts';
import { deepFreeze } from '../util/freeze.ts';
import { describeValue, oneOf } from './checks.ts';
import { retrySection, type RetryManifest } from './retry.ts';
import type { ConfigSection, Issues } from './section.ts';
import { uartSection, type UartManifest, type UartSettings } from './uart.ts';

interface LogManifest {
  logLevel: LogLevel;
}

const logSection: ConfigSection<LogManifest, LogLevel> = {
  defaults: { logLevel: 'info' },
  checks: { logLevel: (v) => oneOf(v, LOG_LEVELS) },
  parse: (r) => r.logLevel,
};

/** Every section, by the name its parsed settings get (frozen: preloaded on the device, they stay in flash). */
const SECTIONS = deepFreeze({
  modem: modemSection,
  ppp: pppSection,
  ike: ikeSection,
  retry: retrySection,
  probe: probeSection,
  net: netSection,
  mqtt: mqttSection,
  http: httpSection,
  firmware: firmwareSection,
  appClients: clientsSection,
  uart: uartSection,
  crypto: cryptoSection,
  logLevel: logSection,
} as const);

/** The manifest's `config` object: flat keys in manifest units. */
export type ManifestConfig = ModemManifest & PppManifest & IkeManifest & RetryManifest & ProbeConfig & NetManifest & MqttRaw & HttpRaw & FirmwareRaw & ClientsRaw & UartManifest & CryptoRaw & LogManifest;

/** What the layers receive: each section parsed (ms, bytes, parsed addresses and selectors). */
export interface Settings {
  modem: ModemSettings;
  ppp: PppSettings;
  ike: IkeSettings;
  retry: BackoffSettings;
  probe: ProbeConfig;
  net: NetSettings;
  mqtt: MqttSettings;
  http: HttpSettings;
  firmware: FirmwareConfig;
  /** App clients asked for by name (`clients`); which are bundled: src/app/clients-config.ts. */
  appClients: readonly ClientKind[];
  uart: UartSettings;
  /** The crypto backend the build was made with (the device build swaps it in). */
  crypto: CryptoBackendName;
  logLevel: LogLevel;
}

type AnySection = ConfigSection<Record<string, unknown>, unknown>;
const sections = deepFreeze(Object.entries(SECTIONS)) as unknown as readonly (readonly [keyof Settings, AnySection])[];
/** Every section by name, for what describes the config (docs/config.md is generated from them). */
export const CONFIG_SECTIONS = sections;

export const SECRET_KEYS: readonly string[] = Object.freeze(sections.flatMap(([, s]) => s.secrets ?? []));
export const REQUIRED_KEYS: readonly string[] = Object.freeze(sections.flatMap(([, s]) => s.required ?? []));
/** Every optional key with its default. */
export const DEFAULT_CONFIG: Readonly<Record<string, unknown>> = deepFreeze(Object.assign({}, ...sections.map(([, s]) => s.defaults)));
const ALL_KEYS: readonly string[] = Object.freeze(sections.flatMap(([, s]) => Object.keys(s.checks)));

export type ConfigCheck =
  | { ok: true; config: ManifestConfig; settings: Settings; warnings: string[] }
  | { ok: false; errors: string[] };

export interface CheckOptions {
  /** Keys other modules of a manifest may add to `config`; they are passed over, not errors. */
  ignoreKeys?: readonly string[];
}

export function checkConfig(raw: unknown, options: CheckOptions = {}): ConfigCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, errors: ['config: expected an object of settings'] };
  const input = raw as Record<string, unknown>;
  const errors: string[] = [];
  const warnings: string[] = [];
  const issues: Issues = { error: (m) => errors.push(m), warn: (m) => warnings.push(m) };
  for (const key of Object.keys(input)) {
    if (ALL_KEYS.includes(key) || options.ignoreKeys?.includes(key)) continue;
    const hint = closest(key);
    errors.push(`config.${key}: unknown setting${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const key of ALL_KEYS) if (input[key] !== undefined) merged[key] = input[key];
  for (const [, section] of sections) {
    const secrets = section.secrets ?? [];
    for (const key of section.required ?? []) if (input[key] === undefined) errors.push(`config.${key}: required setting is missing`);
    for (const [key, check] of Object.entries(section.checks)) {
      if (merged[key] === undefined) continue;
      const out = (check as (v: unknown, k: string) => string | string[] | undefined)(merged[key], key);
      if (typeof out === 'string') errors.push(`config.${key}: expected ${out} (got ${describeValue(merged[key], secrets.includes(key))})`);
      else if (Array.isArray(out)) errors.push(...out);
    }
  }
  if (errors.length) return { ok: false, errors };
  for (const [, section] of sections) section.cross?.(merged, issues);
  if (errors.length) return { ok: false, errors };
  const settings = Object.fromEntries(sections.map(([name, section]) => [name, section.parse(merged)])) as unknown as Settings;
  return { ok: true, config: merged as unknown as ManifestConfig, settings, warnings };
}

/**
 * ikelet's share of a project's merged config: its own keys, and any key that looks like a misspelt
 * one of them (so the validator names it). What is left is another module's or the app's own
 * settings (a Moddable project's config is one flat object), listed in `foreign`. Keys in
 * `passOver` are another's without asking.
 */
export function ownConfig(raw: Readonly<Record<string, unknown>>, passOver: readonly string[] = []): { config: Record<string, unknown>; foreign: string[] } {
  const config: Record<string, unknown> = {};
  const foreign: string[] = [];
  for (const key of Object.keys(raw)) {
    // `passOver`: keys known to be another's (the build found them); no near-miss search for those.
    if (ALL_KEYS.includes(key) || (!passOver.includes(key) && closest(key) !== undefined)) config[key] = raw[key];
    else foreign.push(key);
  }
  return { config, foreign };
}

/** All errors as one message, for a throw at build or start time. */
export function formatConfigErrors(errors: readonly string[], source = 'config'): string {
  return `invalid ${source}:\n  ${errors.join('\n  ')}`;
}

/** Parsed settings, or an Error listing every problem. */
export function parseSettings(raw: unknown, source = 'config', options: CheckOptions = {}): Settings {
  const r = checkConfig(raw, options);
  if (!r.ok) throw new Error(formatConfigErrors(r.errors, source));
  return r.settings;
}

/** Suggests a known key for a typo (edit distance <= 2). */
function closest(key: string): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of ALL_KEYS) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
