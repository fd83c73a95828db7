/** The modem's share of the manifest config (3GPP TS 27.007 data call). */
import { intIn, matches, oneOf, stringMax } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';
import { PROFILES } from './profiles/index.ts';
import { PROFILE_NAMES } from './profiles/names.ts';
import type { ModemProfile } from './profiles/profile.ts';

export interface ModemManifest {
  apn: string;
  simPin: string; // '' when the SIM has no PIN
  registrationTimeout: number; // s
  dialString: string; // ATD<dialString>, e.g. '*99#'
  modemProfile: string; // src/modem/profiles: which module family
  modemPowerPin: number; // GPIO to the modem's PWRKEY, -1 = none
  modemResetPin: number; // GPIO to the modem's RESET, -1 = none
  modemPowerOnPulse: number; // ms PWRKEY is held to switch the modem on, 0 = the profile's
  modemPowerOffPulse: number; // ms PWRKEY is held to switch it off, 0 = the profile's
  modemPowerOffWait: number; // ms from the off pulse until the modem is surely off, 0 = the profile's
  modemResetPulse: number; // ms RESET is held, 0 = the profile's
  linkRungTimeout: number; // s a recovery rung may take to bring the link up
  dataStallTimeout: number; // s of IP sent with nothing received before the link counts as stalled, 0 = off
}

export interface ModemSettings {
  apn: string;
  simPin: string;
  registrationTimeoutMs: number;
  dialString: string;
  profile: ModemProfile;
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
const pulse = (v: unknown): string | undefined => (v === 0 ? undefined : intIn(v, 10, 60_000, " ms (0 = the modem profile's)"));

export const modemSection: ConfigSection<ModemManifest, ModemSettings> = {
  // Pulses: 0 takes the profile's, from its hardware guide (src/modem/profiles).
  defaults: {
    simPin: '', registrationTimeout: 120, dialString: '*99#', modemProfile: 'generic',
    modemPowerPin: -1, modemResetPin: -1, modemPowerOnPulse: 0, modemPowerOffPulse: 0, modemPowerOffWait: 0, modemResetPulse: 0,
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
    modemProfile: (v) => oneOf(v, PROFILE_NAMES),
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
  parse: (r) => {
    // A device build bundles only the configured profile: fall back to it, whatever the name.
    const profile = PROFILES[r.modemProfile] ?? Object.values(PROFILES)[0]!;
    const p = profile.power;
    return {
      apn: r.apn, simPin: r.simPin, registrationTimeoutMs: r.registrationTimeout * 1000, dialString: r.dialString, profile,
      power: {
        powerPin: r.modemPowerPin >= 0 ? r.modemPowerPin : undefined,
        resetPin: r.modemResetPin >= 0 ? r.modemResetPin : undefined,
        powerOnPulseMs: r.modemPowerOnPulse || p.onPulseMs,
        powerOffPulseMs: r.modemPowerOffPulse || p.offPulseMs,
        powerOffWaitMs: r.modemPowerOffWait || p.offWaitMs,
        resetPulseMs: r.modemResetPulse || p.resetPulseMs,
      },
      rungTimeoutMs: r.linkRungTimeout * 1000,
      dataStallMs: r.dataStallTimeout * 1000,
    };
  },
};
