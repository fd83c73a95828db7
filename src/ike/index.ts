/** IKEv2 initiator (PSK, one CHILD SA): what the agent uses. */
export { IkeSession } from './session.ts';
export type { IkeCounters, IkeEvent, IkePhase, IkePort, IkeSessionConfig, IkeSessionDeps, IkeSessionOptions, IkeSessionPorts } from './session-types.ts';
export type { ChildSa } from './child-sa.ts';
export type { IkeErrorCause } from './errors.ts';
export type { RetransmitPolicy } from './retransmit.ts';
export type { Ipv4Selector } from './traffic-selectors.ts';
export { formatSelector } from './traffic-selectors.ts';
