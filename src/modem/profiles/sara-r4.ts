/**
 * u-blox SARA-R4 and SARA-R5 (LTE-M / NB-IoT). No boot line at all: the host probes AT until it
 * answers. AT+CFUN=15 is its silent reset (saves settings, detaches cleanly). PWR_ON low
 * 0.15..3.2 s switches it on, >= 1.5 s off; RESET_N is an abrupt shutdown the manual keeps for a
 * module that no longer answers. Traps: AT+UMNOPROF (the carrier profile) needs a reboot to apply,
 * and PSM may be on by default (AT+CPSMS=0).
 */
import { deepFreeze } from '../../util/freeze.ts';
import type { ModemProfile } from './profile.ts';

export const saraR4: ModemProfile = deepFreeze<ModemProfile>({
  name: 'sara-r4',
  init: ['AT+CPSMS=0'],
  resetCommand: 'AT+CFUN=15',
  bootUrcs: [],
  bootChatter: [],
  registration: ['CEREG', 'CGREG'],
  power: { onPulseMs: 1000, offPulseMs: 2000, offWaitMs: 10_000, resetPulseMs: 100 },
});
