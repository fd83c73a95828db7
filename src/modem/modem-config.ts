/** What the modem driver reads from the agent config, plus timing knobs with sane defaults. */
import type { AgentConfig } from '../config.ts';

export interface ModemTuning {
  /** Pause between unanswered AT probes while the modem boots. */
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** Unanswered probes before giving up with an error. */
  probeAttempts: number;
  /** After this many unanswered probes try "+++": the modem may still be in data mode from before our restart. */
  escapeAfterProbes: number;
  commandTimeoutMs: number;
  /** AT+CPIN="..." can take seconds while the SIM verifies. */
  pinTimeoutMs: number;
  /** Tries of AT+CPIN? while the SIM is busy or still locked right after boot. */
  simRetries: number;
  registrationPollMs: number;
  /** Time to wait for CONNECT after ATD. */
  dialTimeoutMs: number;
  /** Silence before and after "+++" (V.250 S12, 1 s by default; never less than 1 s here). */
  guardTimeMs: number;
  /** How long DTR stays low for a hang-up when the host has a DTR line. */
  dtrDropMs: number;
  redialInitialMs: number;
  redialMaxMs: number;
  /** Failed dials (or quick carrier losses) in a row before an error event. */
  redialMaxAttempts: number;
  /** A session online at least this long resets the redial backoff. */
  stableOnlineMs: number;
}

export const DEFAULT_MODEM_TUNING: Readonly<ModemTuning> = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 1000,
  probeAttempts: 30,
  escapeAfterProbes: 3,
  commandTimeoutMs: 5000,
  pinTimeoutMs: 15000,
  simRetries: 10,
  registrationPollMs: 2000,
  dialTimeoutMs: 60000,
  guardTimeMs: 1100,
  dtrDropMs: 500,
  redialInitialMs: 2000,
  redialMaxMs: 60000,
  redialMaxAttempts: 8,
  stableOnlineMs: 60000,
});

export type ModemConfig = Pick<AgentConfig, 'apn' | 'simPin' | 'registrationTimeout' | 'dialString'> & Partial<ModemTuning>;

export function modemTuning(config: ModemConfig): ModemTuning {
  const t = { ...DEFAULT_MODEM_TUNING };
  for (const key of Object.keys(t) as (keyof ModemTuning)[]) {
    const v = config[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) t[key] = v;
  }
  t.guardTimeMs = Math.max(1000, t.guardTimeMs); // modems ignore "+++" with shorter guards
  return t;
}

/** Bounded exponential backoff: initial, 2×, 4×, ... capped at max (attempt counts from 1). */
export function redialDelayMs(attempt: number, t: Pick<ModemTuning, 'redialInitialMs' | 'redialMaxMs'>): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(t.redialInitialMs * 2 ** exp, t.redialMaxMs);
}
