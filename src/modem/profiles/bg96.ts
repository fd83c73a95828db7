/**
 * Quectel BG96 and BG95 (LTE-M / NB-IoT). Boot prints RDY, then APP RDY once AT works fully, and
 * +QIND readiness lines. PWRKEY: on after >= 0.5 s low; off after 0.65..1.5 s (the BG95 takes no
 * longer pulse), then about 2 s. RESET_N 150..460 ms. Traps: which RAT it scans
 * (AT+QCFG="nwscanseq", "iotopmode": set them once for your carrier), and PSM a network may grant
 * unasked (AT+CPSMS=0 here: a sleeping module misses its PPP echo).
 */
import { deepFreeze } from '../../util/freeze.ts';
import type { ModemProfile } from './profile.ts';

export const bg96: ModemProfile = deepFreeze<ModemProfile>({
  name: 'bg96',
  init: ['AT+CPSMS=0'],
  resetCommand: 'AT+CFUN=1,1',
  bootUrcs: ['APP RDY'],
  bootChatter: ['RDY', 'APP RDY', '+CFUN: 1', '+CPIN: READY', '+QIND: SMS DONE', '+QIND: PB DONE'],
  registration: ['CEREG', 'CGREG'],
  power: { onPulseMs: 600, offPulseMs: 800, offWaitMs: 3000, resetPulseMs: 300 },
});
