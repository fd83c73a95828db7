/** What the IKE layer tells the agent; every event travels with `now`. */
import type { IkeErrorCause } from './errors.ts';

export type IkeEvent =
  | { type: 'ike-connecting'; attempt: number }
  | { type: 'nat-detected'; local: boolean; remote: boolean }
  | { type: 'ike-up'; spiI: string; spiR: string; suite: string; natT: boolean; attempt: number; elapsedMs: number }
  | {
      type: 'child-up'; virtualIp: string; dns: string[]; ts: { local: string[]; remote: string[] };
      espSpiIn: number; espSpiOut: number; suite: string; udpEncap: boolean;
    }
  | { type: 'child-down'; espSpiIn: number; espSpiOut: number; reason: string }
  /** Make-before-break: the new pair carries traffic; the previous one is being deleted. */
  | { type: 'child-rekeyed'; espSpiIn: number; espSpiOut: number; previousSpiIn: number; previousSpiOut: number; by: 'device' | 'gateway' }
  | { type: 'ike-rekeyed'; spiI: string; spiR: string; previousSpiI: string; previousSpiR: string }
  /** RFC 4478: a new IKE SA, authenticated afresh, replaced the old one before its authentication ran out (make-before-break). */
  | { type: 'ike-reauthenticated'; spiI: string; spiR: string; previousSpiI: string; previousSpiR: string }
  /**
   * An establishment attempt failed; the next one follows in `retryInMs` (the agent never gives up).
   * `permanent`: the gateway refuses this configuration (wrong PSK, identities, proposals): attempts
   * go on at the longest retry interval until someone fixes it.
   */
  | { type: 'ike-error'; cause: IkeErrorCause; detail: string; attempt: number; retryInMs: number; permanent: boolean }
  | { type: 'ike-down'; reason: string }
  /**
   * A carrier loss: the IKE SA and its CHILD SA are kept (config.linkLossHold) for the next link,
   * which moves them (`ike-moved`); nothing goes out meanwhile.
   */
  | { type: 'ike-suspended'; holdMs: number }
  /** The kept SAs carry traffic again from the new link, same SPIs and keys: `mobike` (RFC 4555) or the RFC 7296 2.23 path. */
  | { type: 'ike-moved'; localAddress: string; mobike: boolean; virtualIp: string; dns: string[]; elapsedMs: number };

export interface IkeCounters {
  attempts: number;
  messagesOut: number;
  messagesIn: number;
  retransmits: number;
  keepalives: number;
  dpdRequests: number;
  peerRequests: number;
  dropped: number;
}

/** Which of our two UDP sockets: 'ike' = port 500, 'nat-t' = port 4500 (RFC 3948). */
export type IkePort = 'ike' | 'nat-t';

/** 'suspended': the link is gone, the SAs kept; 'moving': a new link's address update is under way. */
export type IkePhase = 'idle' | 'connecting' | 'established' | 'suspended' | 'moving' | 'waiting' | 'closed';
