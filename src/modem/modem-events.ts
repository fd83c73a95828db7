/** What the modem driver tells the agent, and the callbacks it needs from the host. */

export type ModemEvent =
  | { type: 'registering' }
  | { type: 'registered'; roaming: boolean; rssiDbm: number | undefined }
  | { type: 'dialing'; attempt: number }
  /** Data mode: every serial byte now goes to onData (PPP). */
  | { type: 'online'; rate?: string }
  /** hangUp() finished: the modem is back in command mode, still registered. */
  | { type: 'offline' }
  /** ATD did not CONNECT; the modem is back in command mode until dial(now). */
  | { type: 'dial-failed'; reason: string }
  /** The data call (or the modem) went away; dial(now) calls again. */
  | { type: 'lost'; reason: string }
  /** The driver cannot go on (SIM, registration, a silent modem: `silent`); start(now) tries again from scratch. */
  | { type: 'error'; cause: string; silent?: boolean }
  /** A recovery rung began (radio off/on, reset, power cycle); 'registering'/'online' or 'error' follow. */
  | { type: 'recovering'; rung: 'radio' | 'reset' | 'power' };

export interface ModemPorts {
  writeSerial(bytes: Uint8Array, now: number): void;
  onEvent(event: ModemEvent, now: number): void;
  /** Data-mode bytes (PPP), from CONNECT until hang-up or carrier loss. */
  onData(bytes: Uint8Array, now: number): void;
  /** Present when the host drives the DTR line; then hang-up uses a DTR drop (AT&D2). */
  setDtr?(asserted: boolean): void;
  /** Present when the board wires the modem's PWRKEY/RESET to GPIOs (the power rung). */
  setPin?(line: 'power' | 'reset', active: boolean): void;
}
