/** Any 3GPP TS 27.007 modem: standard commands only, RDY as the boot sign, conservative pulses. */
import { deepFreeze } from '../../util/freeze.ts';
import type { ModemProfile } from './profile.ts';

export const generic: ModemProfile = deepFreeze<ModemProfile>({
  name: 'generic',
  init: [],
  resetCommand: 'AT+CFUN=1,1',
  bootUrcs: [],
  bootChatter: ['RDY', '+CFUN: 1', '+CPIN: READY'],
  registration: ['CEREG', 'CREG'],
  power: { onPulseMs: 1000, offPulseMs: 3000, offWaitMs: 10_000, resetPulseMs: 500 },
});
