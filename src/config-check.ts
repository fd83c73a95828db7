/**
 * Validates a raw `config` object (a manifest's, or any host's) into an AgentConfig.
 * Pure TS (no Node API): used at build time by scripts/manifest.ts and at run time by hosts.
 *
 * Every problem is reported, not just the first, each as
 *   `config.<key>: expected <form> (got <what>)`
 * Secret settings (psk, simPin, pppPassword) are described by type and length only:
 * their values never enter a message.
 */
import type { AgentConfig } from './config.ts';
import { parseProposal } from './crypto/suites.ts';
import { LOG_LEVELS } from './platform.ts';
import { parseIpv4 } from './util/bytes.ts';

export type ConfigCheck = { ok: true; config: AgentConfig; warnings: string[] } | { ok: false; errors: string[] };

/** Settings whose values must never be printed. */
export const SECRET_KEYS: readonly (keyof AgentConfig)[] = ['psk', 'simPin', 'pppPassword'];

/** Settings that have no sensible default: every deployment names its own. */
export const REQUIRED_KEYS: readonly (keyof AgentConfig)[] = ['apn', 'gateway', 'localId', 'remoteId', 'psk'];

export const DEFAULT_CONFIG: Omit<AgentConfig, 'apn' | 'gateway' | 'localId' | 'remoteId' | 'psk'> = {
  simPin: '',
  registrationTimeout: 120,
  dialString: '*99#',
  pppAuth: 'none',
  pppUser: '',
  pppPassword: '',
  lcpEchoInterval: 30,
  lcpEchoFailures: 4,
  mru: 1500,
  ikeProposals: ['aes128gcm16-prfsha256-x25519'],
  espProposals: ['aes128gcm16'],
  ikeLifetime: 14400,
  childLifetime: 3600,
  dpdInterval: 30,
  natKeepalive: 20,
  remoteTs: ['0.0.0.0/0'],
  maxAttempts: 5,
  uartPort: 1,
  uartTx: 17,
  uartRx: 16,
  uartRts: -1,
  uartCts: -1,
  uartBaud: 115200,
  logLevel: 'info',
  probeTarget: '',
  probeCount: 0,
  probeSize: 0,
};

/** Baud rates the ESP32 UART and common cellular modems (AT+IPR) both offer. */
export const BAUD_RATES: readonly number[] = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

const ALL_KEYS = new Set<string>([...REQUIRED_KEYS, ...Object.keys(DEFAULT_CONFIG)]);
const ESP32_GPIO_MAX = 39;
const ESP32_INPUT_ONLY = [34, 35, 36, 37, 38, 39]; // cannot drive TX or RTS

type Check = (value: unknown) => string | undefined; // undefined = fine, else the expected form

function describe(key: string, value: unknown): string {
  const secret = (SECRET_KEYS as readonly string[]).includes(key);
  if (value === null) return 'null';
  if (Array.isArray(value)) return secret ? 'an array' : JSON.stringify(value).slice(0, 60);
  if (typeof value === 'string') return secret ? `a string of ${value.length} characters` : JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'object') return 'an object';
  return secret ? `a ${typeof value}` : String(value);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const intIn = (min: number, max: number, note = ''): Check => (v) => (isInt(v) && v >= min && v <= max ? undefined : `an integer ${min}..${max}${note}`);
const oneOf = (values: readonly (string | number)[], form = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`): Check => (v) => (values.includes(v as string | number) ? undefined : form);
const stringMax = (max: number, form = `a string of at most ${max} characters`): Check => (v) => (typeof v === 'string' && v.length <= max ? undefined : form);
const pin = (output: boolean): Check => (v) => {
  const form = `-1 (unused) or an ESP32 GPIO number 0..${ESP32_GPIO_MAX}${output ? ' that can drive an output (not 34..39)' : ''}`;
  if (!isInt(v) || v < -1 || v > ESP32_GPIO_MAX) return form;
  return output && ESP32_INPUT_ONLY.includes(v) ? form : undefined;
};

const FQDN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const identity: Check = (v) => {
  const form = 'an IKE identity: an FQDN (device1.example.com), an email (dev@example.com) or an IPv4 literal';
  if (typeof v !== 'string' || v === '') return form;
  if (parseIpv4(v)) return undefined;
  const at = v.lastIndexOf('@');
  if (at > 0) return FQDN.test(v.slice(at + 1)) && !/\s/.test(v.slice(0, at)) ? undefined : form;
  return FQDN.test(v) && !/^[\d.]+$/.test(v) ? undefined : form;
};

/** 'a.b.c.d/n' with no host bits set (a route, not an address). */
export function parseCidr(text: string): { network: Uint8Array; prefix: number } | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const network = m ? parseIpv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : -1;
  if (!network || prefix > 32) return undefined;
  const value = ((network[0]! << 24) | (network[1]! << 16) | (network[2]! << 8) | network[3]!) >>> 0;
  const hostMask = prefix === 0 ? 0xffffffff : prefix === 32 ? 0 : (0xffffffff >>> prefix) >>> 0;
  return (value & hostMask) === 0 ? { network, prefix } : undefined;
}

const listOf = (form: string, item: (s: string, i: number) => string | undefined): ((v: unknown, key: string) => string[]) => (v, key) => {
  if (!Array.isArray(v) || v.length === 0) return [`config.${key}: expected a non-empty array of ${form} (got ${describe(key, v)})`];
  const errors: string[] = [];
  v.forEach((s, i) => {
    const why = typeof s === 'string' ? item(s, i) : `expected ${form}`;
    if (why) errors.push(`config.${key}[${i}]: ${why} (got ${describe(key, s)})`);
  });
  return errors;
};

const proposals = (protocol: 'ike' | 'esp', example: string) =>
  listOf(`swanctl proposals like '${example}'`, (s) => {
    const r = parseProposal(s, protocol);
    return r.ok ? undefined : `expected a swanctl ${protocol.toUpperCase()} proposal like '${example}': ${r.error}`;
  });

const CHECKS: Record<keyof AgentConfig, Check | ((v: unknown, key: string) => string[])> = {
  apn: stringMax(100, 'an APN string of at most 100 characters (may be empty)'),
  simPin: (v: unknown) => (typeof v === 'string' && /^(\d{4,8})?$/.test(v) ? undefined : 'an empty string or a SIM PIN of 4..8 digits'),
  registrationTimeout: intIn(10, 3600, ' seconds'),
  dialString: (v: unknown) => (typeof v === 'string' && /^[0-9*#,+PTW]{1,40}$/i.test(v) ? undefined : "a dial string such as '*99#' (digits, *, #, comma)"),
  pppAuth: oneOf(['none', 'pap', 'chap']),
  pppUser: stringMax(64),
  pppPassword: stringMax(64),
  lcpEchoInterval: intIn(0, 3600, ' seconds, 0 = off'),
  lcpEchoFailures: intIn(1, 100),
  mru: intIn(576, 1500, ' bytes'),
  gateway: (v: unknown) => (typeof v === 'string' && parseIpv4(v) ? undefined : 'an IPv4 literal such as 203.0.113.10'),
  localId: identity,
  remoteId: identity,
  psk: (v: unknown) => (typeof v === 'string' && v.length >= 8 && v.length <= 256 ? undefined : 'a pre-shared key string of 8..256 characters'),
  ikeProposals: proposals('ike', 'aes128gcm16-prfsha256-x25519'),
  espProposals: proposals('esp', 'aes128gcm16'),
  ikeLifetime: intIn(300, 604800, ' seconds'),
  childLifetime: intIn(60, 604800, ' seconds'),
  dpdInterval: intIn(0, 3600, ' seconds, 0 = off'),
  natKeepalive: intIn(0, 3600, ' seconds, 0 = off'),
  remoteTs: listOf("IPv4 CIDRs like '198.51.100.0/24'", (s) => (parseCidr(s) ? undefined : "expected an IPv4 CIDR like '198.51.100.0/24' with no host bits set")),
  maxAttempts: intIn(1, 100),
  uartPort: intIn(0, 2, ' (ESP32 UART number)'),
  uartTx: pin(true),
  uartRx: pin(false),
  uartRts: pin(true),
  uartCts: pin(false),
  uartBaud: oneOf(BAUD_RATES, `one of ${BAUD_RATES[0]}..${BAUD_RATES[BAUD_RATES.length - 1]} (${BAUD_RATES.join(', ')})`),
  logLevel: oneOf(LOG_LEVELS),
  probeTarget: (v: unknown) => (typeof v === 'string' && (v === '' || /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/.test(v)) ? undefined : "'' (off) or host:port of a UDP echo service, like 'echo.lab.example:7'"),
  probeCount: intIn(0, 100000, ' datagrams, 0 = off'),
  probeSize: (v: unknown) => (v === 0 || (Number.isInteger(v) && (v as number) >= 8 && (v as number) <= 1400) ? undefined : 'payload bytes 8..1400, or 0 for varied sizes'),
};

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

export interface CheckOptions {
  /** Keys other modules of a manifest may add to `config`; they are passed over, not errors. */
  ignoreKeys?: readonly string[];
}

export function checkConfig(raw: unknown, options: CheckOptions = {}): ConfigCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, errors: ['config: expected an object of settings'] };
  const input = raw as Record<string, unknown>;
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const key of Object.keys(input)) {
    if (ALL_KEYS.has(key) || options.ignoreKeys?.includes(key)) continue;
    const hint = closest(key);
    errors.push(`config.${key}: unknown setting${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const key of ALL_KEYS) if (input[key] !== undefined) merged[key] = input[key];
  for (const key of REQUIRED_KEYS) if (input[key] === undefined) errors.push(`config.${key}: required setting is missing`);
  for (const [key, check] of Object.entries(CHECKS) as [string, (v: unknown, k: string) => string | string[] | undefined][]) {
    if (merged[key] === undefined) continue;
    const out = check(merged[key], key);
    if (typeof out === 'string') errors.push(`config.${key}: expected ${out} (got ${describe(key, merged[key])})`);
    else if (Array.isArray(out)) errors.push(...out);
  }
  if (errors.length) return { ok: false, errors };
  const config = merged as unknown as AgentConfig;
  crossChecks(config, errors, warnings);
  return errors.length ? { ok: false, errors } : { ok: true, config, warnings };
}

/** Rules that involve more than one setting. */
function crossChecks(c: AgentConfig, errors: string[], warnings: string[]): void {
  if ((c.uartRts === -1) !== (c.uartCts === -1)) errors.push('config.uartRts: expected RTS and CTS both set (hardware flow control) or both -1');
  const pins = [['uartTx', c.uartTx], ['uartRx', c.uartRx], ['uartRts', c.uartRts], ['uartCts', c.uartCts]] as const;
  for (let i = 0; i < pins.length; i++) {
    for (let j = i + 1; j < pins.length; j++) {
      if (pins[i]![1] !== -1 && pins[i]![1] === pins[j]![1]) errors.push(`config.${pins[j]![0]}: expected a GPIO different from config.${pins[i]![0]} (both ${pins[i]![1]})`);
    }
  }
  if (c.uartTx === -1 || c.uartRx === -1) errors.push('config.uartTx: expected both uartTx and uartRx to be GPIO numbers (the modem needs both lines)');
  if (c.pppAuth !== 'none' && c.pppUser === '') warnings.push(`config.pppUser: empty with pppAuth '${c.pppAuth}'; most networks accept any user name`);
  if (c.uartRts === -1 && c.uartBaud > 115200) warnings.push(`config.uartBaud: ${c.uartBaud} without RTS/CTS flow control risks receive overruns`);
}

/** All errors as one message, for a throw at build or start time. */
export function formatConfigErrors(errors: readonly string[], source = 'config'): string {
  return `invalid ${source}:\n  ${errors.join('\n  ')}`;
}

/** Validates or throws with every message. */
export function validateConfig(raw: unknown, source = 'config', options: CheckOptions = {}): AgentConfig {
  const r = checkConfig(raw, options);
  if (!r.ok) throw new Error(formatConfigErrors(r.errors, source));
  return r.config;
}
