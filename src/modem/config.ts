/** The modem's share of the manifest config (3GPP TS 27.007 data call). */
import { intIn, matches, stringMax } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';

export interface ModemManifest {
  apn: string;
  simPin: string; // '' when the SIM has no PIN
  registrationTimeout: number; // s
  dialString: string; // ATD<dialString>, e.g. '*99#'
  modemPowerPin: number; // GPIO to the modem's PWRKEY, -1 = none
  modemResetPin: number; // GPIO to the modem's RESET, -1 = none
  modemPowerOnPulse: number; // ms PWRKEY is held to switch the modem on
  modemPowerOffPulse: number; // ms PWRKEY is held to switch it off
  modemPowerOffWait: number; // ms from the off pulse until the modem is surely off
  modemResetPulse: number; // ms RESET is held
  linkRungTimeout: number; // s a recovery rung may take to bring the link up
  dataStallTimeout: number; // s of IP sent with nothing received before the link counts as stalled, 0 = off
}

export interface ModemSettings {
  apn: string;
  simPin: string;
  registrationTimeoutMs: number;
  dialString: string;
  /** The recovery ladder's power rung (src/modem/recovery-ladder.ts); `undefined` pins: no such line. */
  power: PowerLines;
  rungTimeoutMs: number;
  dataStallMs: number;
}

export interface PowerLines {
  powerPin: number | undefined;
  resetPin: number | undefined;
  powerOnPulseMs: number;
  powerOffPulseMs: number;
  powerOffWaitMs: number;
  resetPulseMs: number;
}

const pin = (v: unknown): string | undefined => intIn(v, -1, 48, ' (a GPIO number, -1 = not wired)');
const pulse = (v: unknown): string | undefined => intIn(v, 10, 60_000, ' ms');

export const modemSection: ConfigSection<ModemManifest, ModemSettings> = {
  // Pulse defaults fit the SIMCom and Quectel hardware guides (PWRKEY on >= 0.5..1 s, off >= 2.5 s, RESET >= 0.2 s).
  defaults: {
    simPin: '', registrationTimeout: 120, dialString: '*99#',
    modemPowerPin: -1, modemResetPin: -1, modemPowerOnPulse: 1000, modemPowerOffPulse: 3000, modemPowerOffWait: 10_000, modemResetPulse: 500,
    linkRungTimeout: 300, dataStallTimeout: 180,
  },
  required: ['apn'],
  secrets: ['simPin'],
  checks: {
    // Printable and without '"': the APN travels inside AT+CGDCONT="...".
    apn: (v) => (stringMax(v, 100) ?? matches(v, /^[\x20-\x21\x23-\x7e]*$/, '"') ? 'an APN string of at most 100 printable characters without " (may be empty)' : undefined),
    simPin: (v) => matches(v, /^(\d{4,8})?$/, 'an empty string or a SIM PIN of 4..8 digits'),
    registrationTimeout: (v) => intIn(v, 10, 3600, ' seconds'),
    // V.250 dial modifiers a data call uses; P/T/W (pulse, tone, wait) have no meaning for a packet call.
    dialString: (v) => matches(v, /^[0-9A-Da-d*#+,;]{1,40}$/, "a dial string such as '*99#' (digits, A-D, *, #, +, comma, semicolon)"),
    modemPowerPin: pin,
    modemResetPin: pin,
    modemPowerOnPulse: pulse,
    modemPowerOffPulse: pulse,
    modemPowerOffWait: pulse,
    modemResetPulse: pulse,
    linkRungTimeout: (v) => intIn(v, 30, 3600, ' seconds'),
    // 0 or longer than DPD needs to notice a silent gateway (dpdInterval plus its retransmissions).
    dataStallTimeout: (v) => (v === 0 ? undefined : intIn(v, 20, 86400, ' seconds (0 = off)')),
  },
  parse: (r) => ({
    apn: r.apn, simPin: r.simPin, registrationTimeoutMs: r.registrationTimeout * 1000, dialString: r.dialString,
    power: {
      powerPin: r.modemPowerPin >= 0 ? r.modemPowerPin : undefined,
      resetPin: r.modemResetPin >= 0 ? r.modemResetPin : undefined,
      powerOnPulseMs: r.modemPowerOnPulse, powerOffPulseMs: r.modemPowerOffPulse, powerOffWaitMs: r.modemPowerOffWait, resetPulseMs: r.modemResetPulse,
    },
    rungTimeoutMs: r.linkRungTimeout * 1000,
    dataStallMs: r.dataStallTimeout * 1000,
  }),
};
