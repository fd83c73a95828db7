/**
 * INFORMATIONAL exchanges (RFC 7296 1.4, 2.4): the gateway's requests we answer, and our own
 * liveness checks (DPD: an empty request) and deletes.
 */
import { deletePayload, notifyPayload, NotifyType, ProtocolId, type IkeMessage, type Payload } from '../codec/index.ts';
import { readU32 } from '../../util/bytes.ts';

export type PeerInformational =
  | { kind: 'liveness' } // empty request: answer empty
  | { kind: 'delete-ike' } // answer empty, the IKE SA and its children are gone
  | { kind: 'delete-child' } // answer with a DELETE of our inbound SA of the pair (1.4.1)
  | { kind: 'other' }; // notifies etc.: answer empty

export interface PeerAnswer {
  event: PeerInformational;
  response: Payload[];
}

/** `spiOut` / `spiIn`: our current CHILD SA pair, if any. */
export function answerInformational(msg: IkeMessage, child: { spiIn: number; spiOut: number } | undefined): PeerAnswer {
  const inner = msg.encrypted ?? [];
  if (inner.length === 0) return { event: { kind: 'liveness' }, response: [] };
  const deletes = inner.filter((p) => p.kind === 'D');
  if (deletes.some((d) => d.protocolId === ProtocolId.IKE)) return { event: { kind: 'delete-ike' }, response: [] };
  for (const d of deletes) {
    if (d.protocolId !== ProtocolId.ESP || !child) continue;
    if (d.spis.some((spi) => spi.length === 4 && readU32(spi, 0) === child.spiOut)) {
      const ours = Uint8Array.of(child.spiIn >>> 24, (child.spiIn >>> 16) & 0xff, (child.spiIn >>> 8) & 0xff, child.spiIn & 0xff);
      return { event: { kind: 'delete-child' }, response: [deletePayload(ProtocolId.ESP, [ours])] };
    }
  }
  return { event: { kind: 'other' }, response: [] };
}

/** CREATE_CHILD_SA requests (rekeys, extra children) are refused; a lost SA is re-established instead. */
export function refuseCreateChildSa(): Payload[] {
  return [notifyPayload(NotifyType.NO_ADDITIONAL_SAS)];
}

export const deleteIkeSaPayloads = (): Payload[] => [deletePayload(ProtocolId.IKE)];
export const dpdPayloads = (): Payload[] => [];
