/**
 * SIMCom SIM7080G (LTE-M / NB-IoT). No RDY on a UART that autobauds; +CPIN: READY and SMS Ready
 * mark its boot. PWRKEY: on after >= 1 s low, off after >= 1.2 s. Traps: AT+CNMP=38 (LTE only) and
 * AT+CMNB (Cat-M, NB-IoT or both) decide what it registers on (set them once for your carrier);
 * PSM and eDRX may be on by default (both turned off here).
 */
import { deepFreeze } from '../../util/freeze.ts';
import type { ModemProfile } from './profile.ts';

export const sim7080: ModemProfile = deepFreeze<ModemProfile>({
  name: 'sim7080',
  init: ['AT+CPSMS=0', 'AT+CEDRXS=0'],
  resetCommand: 'AT+CFUN=1,1',
  bootUrcs: ['SMS Ready'],
  bootChatter: ['+CFUN: 1', '+CPIN: READY', 'SMS Ready'],
  registration: ['CEREG', 'CGREG'],
  power: { onPulseMs: 1200, offPulseMs: 1500, offWaitMs: 5000, resetPulseMs: 500 },
});
