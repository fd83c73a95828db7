/** The device bundle's public surface: what every host imports. */
export type { AgentConfig } from './config.ts';
export type { Platform, Serial, Clock, Timer, Random, LogSink, LogLevel, KeyLog } from './platform.ts';
export { Logger } from './util/log.ts';
