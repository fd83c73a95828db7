/**
 * Our INFORMATIONAL exchanges (RFC 7296 1.4, 2.4): the liveness check (an empty request) and the
 * DELETE of an IKE SA a rekey replaced, plus the payloads of deletes and refusals.
 */
import { deletePayload, ExchangeType, notifyPayload, NotifyType, ProtocolId, type Payload } from '../codec/index.ts';
import { u32ToBytes } from '../../util/bytes.ts';
import type { IkeContext } from '../context.ts';
import { failure, type IkeFailure } from '../errors.ts';
import { done, type Task, type TaskOutcome } from '../task.ts';

/** DELETE of one of our CHILD SAs, named by our inbound SPI (RFC 7296 1.4.1). */
export function deleteChildSaPayloads(spiIn: number): Payload[] {
  return [deletePayload(ProtocolId.ESP, [u32ToBytes(spiIn)])];
}

export const deleteIkeSaPayloads = (): Payload[] => [deletePayload(ProtocolId.IKE)];

/** RFC 7296 2.25: "try again later" — our answer to the gateway's IKE SA rekeys (we then rekey), and to rekeys of a pair being deleted. */
export const temporaryFailure = (): Payload[] => [notifyPayload(NotifyType.TEMPORARY_FAILURE)];

/** Extra CHILD SAs are refused: one per IKE SA. */
export const refuseCreateChildSa = (): Payload[] => [notifyPayload(NotifyType.NO_ADDITIONAL_SAS)];

/** Dead peer detection (RFC 7296 2.4): an empty request; its answer is the proof of life. */
export class DpdTask implements Task {
  readonly name = 'DPD';
  readonly exchange = ExchangeType.INFORMATIONAL;

  build(): Payload[] {
    return [];
  }

  process(): TaskOutcome {
    return done;
  }

  timedOut(): IkeFailure {
    return failure('TIMEOUT', 'gateway stopped answering (DPD)');
  }

  abandon(): void {}
}

/** DELETE of the IKE SA a rekey replaced, on that SA (RFC 7296 1.3.2). Unanswered, it is let go: the gateway expires the old SA. */
export class IkeDeleteTask implements Task {
  readonly name = 'IKE_DELETE';
  readonly exchange = ExchangeType.INFORMATIONAL;

  constructor(private readonly ctx: IkeContext) {}

  build(): Payload[] {
    return deleteIkeSaPayloads();
  }

  process(): TaskOutcome {
    this.ctx.log.debug('the gateway deleted the replaced IKE SA');
    return done;
  }

  timedOut(): undefined {
    return undefined;
  }

  abandon(): void {}
}
