/**
 * INFORMATIONAL exchanges (RFC 7296 1.4, 2.4): the gateway's requests we answer, and our own
 * liveness checks (DPD: an empty request) and deletes.
 */
import { deletePayload, notifyPayload, NotifyType, ProtocolId, type IkeMessage, type Payload } from '../codec/index.ts';
import { readU32 } from '../../util/bytes.ts';

export type PeerInformational =
  | { kind: 'liveness' } // empty request: answer empty
  | { kind: 'delete-ike' } // answer empty, the IKE SA and its children are gone
  | { kind: 'delete-child'; child: ChildSpis } // answer with a DELETE of our inbound SA of the pair (1.4.1)
  | { kind: 'other' }; // notifies etc.: answer empty

export interface PeerAnswer {
  event: PeerInformational;
  response: Payload[];
}

export interface ChildSpis {
  spiIn: number;
  spiOut: number;
}

/** `children`: our CHILD SA pairs (the current one, and one a rekey replaced), if any. */
export function answerInformational<C extends ChildSpis>(msg: IkeMessage, children: ReadonlyArray<C | undefined>): PeerAnswer & { event: { child?: C } } {
  const inner = msg.encrypted ?? [];
  if (inner.length === 0) return { event: { kind: 'liveness' }, response: [] };
  const deletes = inner.filter((p) => p.kind === 'D');
  if (deletes.some((d) => d.protocolId === ProtocolId.IKE)) return { event: { kind: 'delete-ike' }, response: [] };
  for (const d of deletes) {
    if (d.protocolId !== ProtocolId.ESP) continue;
    const child = children.find((c) => c && d.spis.some((spi) => spi.length === 4 && readU32(spi, 0) === c.spiOut));
    if (child) return { event: { kind: 'delete-child', child }, response: deleteChildSaPayloads(child.spiIn) };
  }
  return { event: { kind: 'other' }, response: [] };
}

/** Extra CHILD SAs are refused: one per IKE SA. */
export function refuseCreateChildSa(): Payload[] {
  return [notifyPayload(NotifyType.NO_ADDITIONAL_SAS)];
}

/** RFC 7296 2.25: "try again later" — our answer to the gateway's rekeys, which we then do ourselves. */
export function temporaryFailure(): Payload[] {
  return [notifyPayload(NotifyType.TEMPORARY_FAILURE)];
}

/** DELETE of one of our CHILD SAs, named by our inbound SPI (RFC 7296 1.4.1). */
export function deleteChildSaPayloads(spiIn: number): Payload[] {
  return [deletePayload(ProtocolId.ESP, [Uint8Array.of(spiIn >>> 24, (spiIn >>> 16) & 0xff, (spiIn >>> 8) & 0xff, spiIn & 0xff)])];
}

export const deleteIkeSaPayloads = (): Payload[] => [deletePayload(ProtocolId.IKE)];
export const dpdPayloads = (): Payload[] => [];
