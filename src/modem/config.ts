/** The modem's share of the manifest config (3GPP TS 27.007 data call). */
import { intIn, matches, stringMax } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';

export interface ModemManifest {
  apn: string;
  simPin: string; // '' when the SIM has no PIN
  registrationTimeout: number; // s
  dialString: string; // ATD<dialString>, e.g. '*99#'
}

export interface ModemSettings {
  apn: string;
  simPin: string;
  registrationTimeoutMs: number;
  dialString: string;
}

export const modemSection: ConfigSection<ModemManifest, ModemSettings> = {
  defaults: { simPin: '', registrationTimeout: 120, dialString: '*99#' },
  required: ['apn'],
  secrets: ['simPin'],
  checks: {
    // Printable and without '"': the APN travels inside AT+CGDCONT="...".
    apn: (v) => (stringMax(v, 100) ?? matches(v, /^[\x20-\x21\x23-\x7e]*$/, '"') ? 'an APN string of at most 100 printable characters without " (may be empty)' : undefined),
    simPin: (v) => matches(v, /^(\d{4,8})?$/, 'an empty string or a SIM PIN of 4..8 digits'),
    registrationTimeout: (v) => intIn(v, 10, 3600, ' seconds'),
    // V.250 dial modifiers a data call uses; P/T/W (pulse, tone, wait) have no meaning for a packet call.
    dialString: (v) => matches(v, /^[0-9A-Da-d*#+,;]{1,40}$/, "a dial string such as '*99#' (digits, A-D, *, #, +, comma, semicolon)"),
  },
  parse: (r) => ({ apn: r.apn, simPin: r.simPin, registrationTimeoutMs: r.registrationTimeout * 1000, dialString: r.dialString }),
};
