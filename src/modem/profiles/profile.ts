/**
 * A modem profile: what one module family does differently, as data (one small file each, from
 * its AT commands manual and hardware design guide). config.modemProfile names one; the device
 * build bundles only that one (scripts/device-modules.ts). The lab's modem emulator plays the same
 * data (test/lab/modem-emulator.ts), so what is verified is the emulator playing the manual.
 */
export interface ModemProfile {
  readonly name: string;
  /** Sent after ATE0 and AT+CMEE=1; an error is logged, never fatal (the module's known traps). */
  readonly init: readonly string[];
  /** Its own reboot command: the recovery ladder's reset rung. */
  readonly resetCommand: string;
  /** Besides RDY: lines that say the module (re)booted. */
  readonly bootUrcs: readonly string[];
  /** What it prints after power-on, in order (the emulator plays these). */
  readonly bootChatter: readonly string[];
  /** Its registration reports, polled in this order. */
  readonly registration: readonly ('CEREG' | 'CGREG' | 'CREG')[];
  /** Power-pin timings from its hardware guide (ms): the defaults when the config leaves them 0. */
  readonly power: Readonly<{ onPulseMs: number; offPulseMs: number; offWaitMs: number; resetPulseMs: number }>;
}
