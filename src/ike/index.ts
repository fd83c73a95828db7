/** IKEv2 initiator (PSK, one CHILD SA): what the agent uses. */
export { IkeSession } from './session.ts';
export type { IkeSessionDeps, IkeSessionPorts, IkeTuning } from './session.ts';
export type { IkeCounters, IkeEvent, IkePhase, IkePort } from './events.ts';
export { ChildSaTable } from './child-sa-table.ts';
export type { ChildSa } from './child-sa.ts';
export type { IkeSettings } from './config.ts';
export type { IkeErrorCause } from './errors.ts';
export type { RetransmitPolicy } from './retransmit.ts';
export type { Ipv4Selector } from './traffic-selectors.ts';
export { formatSelector, selectorContains } from './traffic-selectors.ts';
