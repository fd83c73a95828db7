/**
 * INFORMATIONAL exchanges (RFC 7296 1.4, 2.4): the gateway's requests we answer, and our own
 * liveness checks (DPD: an empty request) and deletes.
 */
import { deletePayload, notifyPayload, NotifyType, ProtocolId, type IkeMessage, type Payload } from '../codec/index.ts';
import { readU32, u32ToBytes } from '../../util/bytes.ts';

export interface ChildSpis {
  spiIn: number;
  spiOut: number;
}

export type PeerInformational<C extends ChildSpis> =
  | { kind: 'liveness' } // empty request: answer empty
  | { kind: 'delete-ike' } // answer empty, the IKE SA and its children are gone
  | { kind: 'delete-child'; child: C } // answer with a DELETE of our inbound SA of the pair (1.4.1)
  | { kind: 'other' }; // notifies etc.: answer empty

export interface PeerAnswer<C extends ChildSpis> {
  event: PeerInformational<C>;
  response: Payload[];
}

/** `children`: our CHILD SA pairs (the current one and those a rekey replaced). */
export function answerInformational<C extends ChildSpis>(msg: IkeMessage, children: readonly C[]): PeerAnswer<C> {
  const inner = msg.encrypted ?? [];
  if (inner.length === 0) return { event: { kind: 'liveness' }, response: [] };
  const deletes = inner.filter((p) => p.kind === 'D');
  if (deletes.some((d) => d.protocolId === ProtocolId.IKE)) return { event: { kind: 'delete-ike' }, response: [] };
  for (const d of deletes) {
    if (d.protocolId !== ProtocolId.ESP) continue;
    const child = children.find((c) => d.spis.some((spi) => spi.length === 4 && readU32(spi, 0) === c.spiOut));
    if (child) return { event: { kind: 'delete-child', child }, response: deleteChildSaPayloads(child.spiIn) };
  }
  return { event: { kind: 'other' }, response: [] };
}

/** Extra CHILD SAs are refused: one per IKE SA. */
export function refuseCreateChildSa(): Payload[] {
  return [notifyPayload(NotifyType.NO_ADDITIONAL_SAS)];
}

/** RFC 7296 2.25: "try again later" — our answer to the gateway's IKE SA rekeys (we then rekey), and to rekeys of a pair being deleted. */
export function temporaryFailure(): Payload[] {
  return [notifyPayload(NotifyType.TEMPORARY_FAILURE)];
}

/** DELETE of one of our CHILD SAs, named by our inbound SPI (RFC 7296 1.4.1). */
export function deleteChildSaPayloads(spiIn: number): Payload[] {
  return [deletePayload(ProtocolId.ESP, [u32ToBytes(spiIn)])];
}

export const deleteIkeSaPayloads = (): Payload[] => [deletePayload(ProtocolId.IKE)];
export const dpdPayloads = (): Payload[] => [];
