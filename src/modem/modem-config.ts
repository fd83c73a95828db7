/** The modem driver's timing knobs, with sane defaults (its configuration is ModemSettings, config.ts). */

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
  /** AT+CFUN can take seconds while the modem detaches (the manuals give up to 15 s). */
  cfunTimeoutMs: number;
  /** How long the radio stays off on the radio rung. */
  radioOffMs: number;
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
  cfunTimeoutMs: 15000,
  radioOffMs: 2000,
});

export function modemTuning(tuning: Partial<ModemTuning>): ModemTuning {
  const t = { ...DEFAULT_MODEM_TUNING };
  for (const key of Object.keys(t) as (keyof ModemTuning)[]) {
    const v = tuning[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) t[key] = v;
  }
  t.guardTimeMs = Math.max(1000, t.guardTimeMs); // modems ignore "+++" with shorter guards
  return t;
}
