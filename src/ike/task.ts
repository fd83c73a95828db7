/**
 * An exchange we initiate, as a task (strongSwan's sa/ikev2/tasks shape): it builds its own
 * request payloads and processes the response; the TaskManager owns message IDs, the window,
 * retransmission and the queue, and tells the session when a task is done or failed.
 */
import type { IkeMessage, Payload } from './codec/index.ts';
import type { IkeFailure } from './errors.ts';
import type { IkeSa } from './ike-sa.ts';
import type { RetransmitPolicy } from './retransmit.ts';

export type TaskName = 'IKE_SA_INIT' | 'IKE_AUTH' | 'CHILD_REKEY' | 'IKE_REKEY' | 'CHILD_DELETE' | 'IKE_DELETE' | 'DPD' | 'ADDRESS_UPDATE';

export type TaskOutcome =
  | { kind: 'done' }
  /** Send the request again, rebuilt (same message ID): IKE_SA_INIT after COOKIE or INVALID_KE_PAYLOAD. */
  | { kind: 'again' }
  /** Not an answer to act on (RFC 7296 2.21: unauthenticated errors): keep the request outstanding. */
  | { kind: 'wait'; reason: string }
  /** Costly work follows: the manager calls resume() in a turn of its own, so no turn grows long. */
  | { kind: 'yield' }
  /** The IKE SA is of no use any more. `deleteSa`: the gateway holds it, tell it to delete it. */
  | { kind: 'failed'; failure: IkeFailure; deleteSa?: boolean };

export interface Task {
  readonly name: TaskName;
  readonly exchange: number;
  /** Its own retransmission policy (default: the session's). */
  readonly retransmit?: RetransmitPolicy;
  /**
   * The request's payloads; called when the task becomes active, and again after 'again'. `sa`: the
   * IKE SA it runs on (a task queued before an IKE rekey runs on the new SA).
   */
  build(sa: IkeSa, now: number): Payload[];
  /** The request as encoded, for a task that signs it later (IKE_SA_INIT). */
  sent?(wire: Uint8Array): void;
  /** The response: authenticated (unauthenticated for IKE_SA_INIT, which checks it itself). */
  process(sa: IkeSa, msg: IkeMessage, raw: Uint8Array, now: number): TaskOutcome;
  resume?(sa: IkeSa, now: number): TaskOutcome;
  /** Every transmission went unanswered. undefined: let it go quietly (the old SA's DELETE). */
  timedOut(now: number): IkeFailure | undefined;
  /** The task will never run or finish: drop what it holds (key pairs, nonces). */
  abandon(): void;
}

export const done: TaskOutcome = Object.freeze({ kind: 'done' });
