/** The modem layer: AT engine plus the 27.007 data-call driver. */
export { Modem, type ModemPhase } from './modem.ts';
export type { ModemEvent, ModemPorts } from './modem-events.ts';
export { type ModemTuning, DEFAULT_MODEM_TUNING } from './modem-config.ts';
export { modemSection, type ModemSettings } from './config.ts';
export { AtEngine, type AtResult, type AtCommandOptions, type AtEnginePorts } from './at-engine.ts';
export { CarrierWatch } from './carrier-watch.ts';
