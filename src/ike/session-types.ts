/** The public surface of IkeSession: configuration, ports, events, counters. */
import type { AgentConfig } from '../config.ts';
import type { KeyLog, Random } from '../platform.ts';
import type { DropCounter, Logger } from '../util/log.ts';
import type { ChildSa } from './child-sa.ts';
import type { IkeErrorCause } from './errors.ts';
import type { RetransmitPolicy } from './retransmit.ts';

export type IkeSessionConfig = Pick<
  AgentConfig,
  | 'gateway' | 'localId' | 'remoteId' | 'psk' | 'ikeProposals' | 'espProposals' | 'ikeLifetime' | 'childLifetime'
  | 'dpdInterval' | 'natKeepalive' | 'remoteTs' | 'maxAttempts'
>;

/** Tuning that is not part of the device configuration (tests shorten the timers). */
export interface IkeSessionOptions {
  retransmit?: RetransmitPolicy;
  /** Wait before the 2nd establishment attempt; doubles per attempt up to retryCapMs. Default 2 s / 120 s. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Wait before re-establishing after the gateway deleted the SA or stopped answering. Default 1 s. */
  restartDelayMs?: number;
  /** Send IDr = remoteId in IKE_AUTH (default true). */
  sendRemoteId?: boolean;
  /** Make the gateway see a NAT even without one, so ESP always goes in UDP 4500 (default false). */
  forceEncap?: boolean;
}

export interface IkeSessionDeps {
  random: Random;
  log: Logger;
  keyLog?: KeyLog;
  /** Where the ESP SAs count their drops; default: a counter of the session's own. */
  espDrops?: DropCounter;
}

/** Which of our two UDP sockets: 'ike' = port 500, 'nat-t' = port 4500 (RFC 3948). */
export type IkePort = 'ike' | 'nat-t';

export interface IkeSessionPorts {
  /** A datagram to the gateway (config.gateway) at port 500 or 4500; on 'nat-t' it already carries the non-ESP marker. */
  sendUdp(port: IkePort, payload: Uint8Array): void;
  onEvent(event: IkeEvent): void;
  /**
   * Install these ESP SAs: they carry all outbound traffic from now on. A pair they replace by a
   * rekey keeps taking inbound ESP until onChildSaRetired; a 'child-down' event removes all.
   */
  onChildSa(child: ChildSa): void;
  /** Install only the inbound SA of this pair (a rekey collision's redundant SA, until deleted). */
  onChildSaInbound(child: ChildSa): void;
  onChildSaRetired(child: ChildSa): void;
}

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
  | { type: 'ike-error'; cause: IkeErrorCause; detail: string; fatal: boolean; attempt: number }
  | { type: 'ike-down'; reason: string };

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

export type IkePhase = 'idle' | 'init' | 'auth' | 'established' | 'waiting' | 'failed' | 'closed';
