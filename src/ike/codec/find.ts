/** Small lookups over decoded messages, searching cleartext and encrypted payloads alike. */
import type { IkeMessage, Payload, PayloadKind, PayloadOf } from './types.ts';

function all(msg: IkeMessage): Payload[] {
  return msg.encrypted ? [...msg.payloads, ...msg.encrypted] : msg.payloads;
}

export function findPayload<K extends PayloadKind>(msg: IkeMessage, kind: K): PayloadOf<K> | undefined {
  return all(msg).find((p): p is PayloadOf<K> => p.kind === kind);
}

export function findPayloads<K extends PayloadKind>(msg: IkeMessage, kind: K): PayloadOf<K>[] {
  return all(msg).filter((p): p is PayloadOf<K> => p.kind === kind);
}

export function findNotify(msg: IkeMessage, notifyType: number): PayloadOf<'N'> | undefined {
  return findPayloads(msg, 'N').find((n) => n.notifyType === notifyType);
}

/** The first error notify (type < 16384), if any. */
export function findErrorNotify(msg: IkeMessage): PayloadOf<'N'> | undefined {
  return findPayloads(msg, 'N').find((n) => n.notifyType < 16384);
}
