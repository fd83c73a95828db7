/** What the tasks of an IKE SA need from the layer around them (the session implements it). */
import type { DhGroup, DhKeyPair, PrfAlgorithm, ProposalSpec } from '../crypto/index.ts';
import type { KeyLog, Random } from '../platform.ts';
import type { DropCounter, Logger } from '../util/log.ts';
import type { ChildSa } from './child-sa.ts';
import type { ChildSaTable } from './child-sa-table.ts';
import type { IkeSettings } from './config.ts';
import type { IkeEvent } from './events.ts';
import type { IkeSa } from './ike-sa.ts';
import type { Task } from './task.ts';

export interface Endpoint {
  address: string;
  port: number;
}

export interface IkeContext {
  readonly settings: IkeSettings;
  readonly random: Random;
  readonly log: Logger;
  readonly keyLog: KeyLog | undefined;
  readonly espDrops: DropCounter;
  readonly children: ChildSaTable;
  /** Our 'ike' socket as we see it (NAT-D) and the gateway's. */
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** Make the gateway see a NAT, so ESP always goes in UDP 4500 (like strongSwan's encap=yes). */
  readonly forceEncap: boolean;
  emit(event: IkeEvent, now: number): void;
  /** A fresh key pair in `group`, made earlier at a quiet moment when there was one; the next is made at the next such moment. */
  keyPair(group: DhGroup, now: number): DhKeyPair;
  /** Queues a task on the current IKE SA. */
  queue(task: Task, now: number): void;
  /** IKE_AUTH made the CHILD SA: the tunnel is up (or, re-authenticating, up on a new IKE SA). `authLifetimeMs`: RFC 4478. */
  established(sa: IkeSa, child: ChildSa, now: number, authLifetimeMs?: number): void;
  /** Our IKE rekey made `next`; the old SA is deleted on its own message IDs. */
  replaceIkeSa(next: IkeSa, now: number): void;
  /** When our next CHILD SA / IKE SA rekey is due (undefined: none planned). */
  rekeyChildAt(at: number | undefined): void;
  rekeyIkeAt(at: number | undefined): void;
  /** The KE group of our CHILD SA rekeys (PFS); the gateway may ask for another of ours. */
  pfsGroup: DhGroup | undefined;
  /** Give up on this IKE SA and establish a new one (after `delayMs`, default a moment). */
  restart(reason: string, sendDelete: boolean, now: number, delayMs?: number): void;
}

/** RFC 7296 2.10: at least 128 bits and at least half the PRF's key size. */
export function nonceLength(prf: PrfAlgorithm): number {
  return Math.max(16, prf.keyLength >> 1);
}

/** Before the PRF is chosen: long enough for every PRF we offer. */
export function offerNonceLength(offered: readonly ProposalSpec[]): number {
  return Math.max(16, ...offered.flatMap((p) => p.prf.map(nonceLength)));
}
