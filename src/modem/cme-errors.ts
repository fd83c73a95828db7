/** +CME ERROR codes of 3GPP TS 27.007 §9.2 that a data modem can plausibly return. */
const CME_TEXT: Readonly<Record<number, string>> = Object.freeze({
  0: 'phone failure',
  1: 'no connection to phone',
  3: 'operation not allowed',
  4: 'operation not supported',
  5: 'PH-SIM PIN required',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  13: 'SIM failure',
  14: 'SIM busy',
  15: 'SIM wrong',
  16: 'incorrect password',
  17: 'SIM PIN2 required',
  18: 'SIM PUK2 required',
  20: 'memory full',
  21: 'invalid index',
  22: 'not found',
  23: 'memory failure',
  24: 'text string too long',
  25: 'invalid characters in text string',
  26: 'dial string too long',
  27: 'invalid characters in dial string',
  30: 'no network service',
  31: 'network timeout',
  32: 'network not allowed - emergency calls only',
  100: 'unknown',
  103: 'illegal MS',
  106: 'illegal ME',
  107: 'GPRS services not allowed',
  111: 'PLMN not allowed',
  112: 'location area not allowed',
  113: 'roaming not allowed in this location area',
  132: 'service option not supported',
  133: 'requested service option not subscribed',
  134: 'service option temporarily out of order',
  148: 'unspecified GPRS error',
  149: 'PDP authentication failure',
  150: 'invalid mobile class',
});

export const CME_SIM_NOT_INSERTED = 10;
export const CME_SIM_PIN_REQUIRED = 11;
export const CME_SIM_PUK_REQUIRED = 12;
export const CME_SIM_BUSY = 14;
export const CME_INCORRECT_PASSWORD = 16;

export function cmeText(code: number): string | undefined {
  return CME_TEXT[code];
}

/** Maps the verbose form (AT+CMEE=2) back to a code so both forms are handled alike. */
export function cmeCodeFromText(text: string): number | undefined {
  const wanted = text.trim().toLowerCase();
  for (const [code, t] of Object.entries(CME_TEXT)) if (t.toLowerCase() === wanted) return Number(code);
  return undefined;
}
