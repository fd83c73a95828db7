/** The device bundle's public surface: what every host imports. */
export type { ManifestConfig, Settings } from './config/validate.ts';
export { checkConfig, parseSettings } from './config/validate.ts';
export type { Platform, Serial, Clock, Timer, Random, LogSink, LogLevel, KeyLog } from './platform.ts';
export { Logger } from './util/log.ts';
export { Agent, describe, type AgentEvent, type AgentDeps, type AgentPorts } from './agent/agent.ts';
export { Runner, type DrivenAgent } from './agent/runner.ts';
export { startAgent, type StartedAgent } from './agent/start.ts';
