/** Constructors for the payloads an initiator sends, so exchange code reads like the RFC diagrams. */
import type { Transform } from '../../crypto/ids.ts';
import { CfgType, CpAttributeType, ProtocolId, TsType } from './constants.ts';
import type { CpAttribute, Payload, PayloadOf, Proposal, TrafficSelector } from './types.ts';

const EMPTY = new Uint8Array(0);

export function saPayload(proposals: Proposal[]): PayloadOf<'SA'> {
  return { kind: 'SA', proposals };
}

/** Proposals numbered from 1 in offer order. */
export function proposals(protocolId: number, spi: Uint8Array, transformSets: Transform[][]): Proposal[] {
  return transformSets.map((transforms, i) => ({ number: i + 1, protocolId, spi: spi.slice(), transforms }));
}

export function kePayload(group: number, data: Uint8Array): PayloadOf<'KE'> {
  return { kind: 'KE', group, data };
}

export function noncePayload(data: Uint8Array): PayloadOf<'Nonce'> {
  return { kind: 'Nonce', data };
}

export function notifyPayload(notifyType: number, data: Uint8Array = EMPTY, protocolId: number = ProtocolId.NONE, spi: Uint8Array = EMPTY): PayloadOf<'N'> {
  return { kind: 'N', protocolId, spi, notifyType, data };
}

/** `body` is what AUTH covers (RFC 7296 2.15): type, three reserved octets, data. */
export function idPayload<K extends 'IDi' | 'IDr'>(kind: K, idType: number, data: Uint8Array): PayloadOf<K> {
  const body = new Uint8Array(4 + data.length);
  body[0] = idType;
  body.set(data, 4);
  return { kind, idType, data, body } as PayloadOf<K>;
}

export function authPayload(method: number, data: Uint8Array): PayloadOf<'AUTH'> {
  return { kind: 'AUTH', method, data };
}

/** Delete the IKE SA itself (protocol IKE, no SPIs) or ESP SAs by their 4-byte SPIs. */
export function deletePayload(protocolId: number, spis: Uint8Array[] = []): PayloadOf<'D'> {
  return { kind: 'D', protocolId, spiSize: protocolId === ProtocolId.IKE ? 0 : 4, spis };
}

export function ipv4Selector(start: Uint8Array, end: Uint8Array, ipProtocol = 0, startPort = 0, endPort = 0xffff): TrafficSelector {
  return { tsType: TsType.IPV4_ADDR_RANGE, ipProtocol, startPort, endPort, startAddress: start, endAddress: end };
}

export function tsPayload<K extends 'TSi' | 'TSr'>(kind: K, selectors: TrafficSelector[]): PayloadOf<K> {
  return { kind, selectors } as PayloadOf<K>;
}

/** CFG_REQUEST asking for an inner address (and DNS): empty values mean "assign one". */
export function cpRequest(types: number[] = [CpAttributeType.INTERNAL_IP4_ADDRESS, CpAttributeType.INTERNAL_IP4_DNS]): PayloadOf<'CP'> {
  const attributes: CpAttribute[] = types.map((type) => ({ type, value: EMPTY }));
  return { kind: 'CP', cfgType: CfgType.REQUEST, attributes };
}

export function vendorPayload(data: Uint8Array): Payload {
  return { kind: 'V', data };
}
