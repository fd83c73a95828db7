/**
 * SIMCom SIM7500/SIM7600 (LTE Cat-1/Cat-4). AT+CRESET reboots it; boot prints RDY, then SIM and
 * phonebook/SMS readiness. PWRKEY: on after >= 0.5 s low, off after >= 2.5 s, "NORMAL POWER DOWN"
 * then about 10 s until it is off; RESET low >= 0.2 s (hardware design guide). CONNECT 115200.
 */
import { deepFreeze } from '../../util/freeze.ts';
import type { ModemProfile } from './profile.ts';

export const sim7600: ModemProfile = deepFreeze<ModemProfile>({
  name: 'sim7600',
  init: [],
  resetCommand: 'AT+CRESET',
  bootUrcs: [],
  bootChatter: ['RDY', '+CPIN: READY', 'SMS DONE', 'PB DONE'],
  registration: ['CEREG', 'CGREG', 'CREG'],
  power: { onPulseMs: 600, offPulseMs: 3000, offWaitMs: 12_000, resetPulseMs: 300 },
});
