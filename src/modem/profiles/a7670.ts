/**
 * SIMCom A7670 (A76XX, LTE Cat-1). Boot prints *ATREADY: 1 instead of RDY, then SIM and SMS/PB
 * readiness. AT+CRESET reboots it. PWRKEY: on after >= 50 ms low (0.5 s is safe), off after
 * >= 2.5 s. RESET low >= 2 s on this family.
 */
import { deepFreeze } from '../../util/freeze.ts';
import type { ModemProfile } from './profile.ts';

export const a7670: ModemProfile = deepFreeze<ModemProfile>({
  name: 'a7670',
  init: [],
  resetCommand: 'AT+CRESET',
  bootUrcs: ['*ATREADY: 1'],
  bootChatter: ['*ATREADY: 1', '+CPIN: READY', 'SMS DONE', 'PB DONE'],
  registration: ['CEREG', 'CGREG', 'CREG'],
  power: { onPulseMs: 500, offPulseMs: 3000, offWaitMs: 8000, resetPulseMs: 2500 },
});
