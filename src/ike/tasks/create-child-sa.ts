/**
 * CREATE_CHILD_SA (RFC 7296 1.3) for rekeying:
 *   CHILD SA (1.3.3): HDR, SK {N(REKEY_SA), SA, Ni, TSi, TSr}  -->  <--  HDR, SK {SA, Nr, TSi, TSr}
 *   IKE SA (1.3.2):   HDR, SK {SA, Ni, KEi}                    -->  <--  HDR, SK {SA, Nr, KEr}
 * We initiate both at our lifetimes, offering exactly the suite in use, and answer the gateway's
 * CHILD SA rekeys with that suite. CHILD SA rekeys carry a KE (PFS) exactly when espProposals name
 * DH groups; the CHILD SA of IKE_AUTH never has one (1.2). The gateway's IKE SA rekeys get
 * TEMPORARY_FAILURE and we rekey at once (responder.ts): as the rekey's initiator we stay the
 * original initiator of the new IKE SA, so the session never switches IKE roles.
 */
import type { DhGroup, DhKeyPair, EspSuite, IkeSuite } from '../../crypto/index.ts';
import { proposalTransforms, TransformType } from '../../crypto/index.ts';
import {
  findErrorNotify, findNotify, findPayload, kePayload, noncePayload, notifyName, notifyPayload, NotifyType,
  ProtocolId, saPayload, tsPayload, type IkeMessage, type Payload,
} from '../codec/index.ts';
import { causeOfNotify, failure, type IkeFailure } from '../errors.ts';
import { acceptEspChoice, acceptIkeChoice, espProposals, espSuiteSpec, ikeProposals, ikeSuiteSpec } from '../proposals.ts';
import { formatSelector, messageSelectors, narrowingAcceptable, selectorToWire, type Ipv4Selector } from '../traffic-selectors.ts';
import { readU32 } from '../../util/bytes.ts';
import { printable } from '../../util/text.ts';

/** `temporary`: try again later; `group`: try again now with this PFS group (INVALID_KE_PAYLOAD). */
export type RekeyFailure = { kind: 'failed'; failure: IkeFailure; temporary: boolean; group?: number };

export interface ChildRekeyRequest {
  suite: EspSuite;
  /** Our inbound SPI of the SA being replaced (REKEY_SA) and of the new one. */
  oldSpiIn: Uint8Array;
  newSpiIn: Uint8Array;
  nonceI: Uint8Array;
  /** The PFS key exchange, when espProposals ask for one. */
  keyPair: DhKeyPair | undefined;
  tsi: readonly Ipv4Selector[];
  tsr: readonly Ipv4Selector[];
}

export interface ChildRekeyResult {
  kind: 'done';
  suite: EspSuite;
  espSpiOut: Uint8Array;
  nonceR: Uint8Array;
  /** The gateway's PFS KE data; the shared secret is computed from it in a turn of its own. */
  peerKe: Uint8Array | undefined;
  tsi: Ipv4Selector[];
  tsr: Ipv4Selector[];
}


export function buildChildRekeyPayloads(r: ChildRekeyRequest): Payload[] {
  return [
    notifyPayload(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, r.oldSpiIn),
    saPayload(espProposals([espSuiteSpec(r.suite, r.keyPair?.group)], r.newSpiIn)),
    noncePayload(r.nonceI),
    ...(r.keyPair ? [kePayload(r.keyPair.group.id, r.keyPair.publicKey)] : []),
    tsPayload('TSi', r.tsi.map(selectorToWire)),
    tsPayload('TSr', r.tsr.map(selectorToWire)),
  ];
}

export function processChildRekeyResponse(r: ChildRekeyRequest, msg: IkeMessage): ChildRekeyResult | RekeyFailure {
  const refused = refusal(msg, 'CHILD SA');
  if (refused) return refused;
  const esp = acceptEspChoice([espSuiteSpec(r.suite, r.keyPair?.group)], findPayload(msg, 'SA'));
  if (!esp.ok) return fail('PROPOSAL_MISMATCH', esp.error);
  const nonceR = responderNonce(msg);
  if (!nonceR) return fail('PROTOCOL_ERROR', 'CREATE_CHILD_SA response without a valid Nonce');
  let peerKe: Uint8Array | undefined;
  if (r.keyPair) {
    const ke = findPayload(msg, 'KE');
    if (esp.value.suite.dh?.id !== r.keyPair.group.id || ke?.group !== r.keyPair.group.id) return fail('PROPOSAL_MISMATCH', `rekey response without PFS ${r.keyPair.group.name}`);
    peerKe = ke.data.slice();
  }
  const tsi = messageSelectors(msg, 'TSi');
  const tsr = messageSelectors(msg, 'TSr');
  if (!narrowingAcceptable(tsi, r.tsi) || !narrowingAcceptable(tsr, r.tsr)) {
    return fail('TS_MISMATCH', `rekey narrowed to TSi ${tsi.map(formatSelector).join(',') || 'none'} TSr ${tsr.map(formatSelector).join(',') || 'none'}`);
  }
  return { kind: 'done', suite: esp.value.suite, espSpiOut: esp.value.spi.slice(), nonceR, peerKe, tsi, tsr };
}

export interface IkeRekeyRequest {
  suite: IkeSuite;
  spiI: Uint8Array;
  nonceI: Uint8Array;
  keyPair: DhKeyPair;
}

export interface IkeRekeyResult {
  kind: 'done';
  suite: IkeSuite;
  spiR: Uint8Array;
  nonceR: Uint8Array;
  /** The gateway's KE data; the shared secret is computed from it in a turn of its own. */
  peerKe: Uint8Array;
}


export function buildIkeRekeyPayloads(r: IkeRekeyRequest): Payload[] {
  return [saPayload(ikeProposals([ikeSuiteSpec(r.suite)], r.spiI)), noncePayload(r.nonceI), kePayload(r.keyPair.group.id, r.keyPair.publicKey)];
}

export function processIkeRekeyResponse(r: IkeRekeyRequest, msg: IkeMessage): IkeRekeyResult | RekeyFailure {
  const refused = refusal(msg, 'IKE SA');
  if (refused) return refused;
  const chosen = acceptIkeChoice([ikeSuiteSpec(r.suite)], findPayload(msg, 'SA'), 8);
  if (!chosen.ok) return fail('PROPOSAL_MISMATCH', chosen.error);
  if (chosen.value.spi.every((b) => b === 0)) return fail('PROTOCOL_ERROR', 'IKE rekey response with a zero SPI');
  const nonceR = responderNonce(msg);
  const ke = findPayload(msg, 'KE');
  if (!nonceR || !ke || ke.group !== r.keyPair.group.id) return fail('PROTOCOL_ERROR', 'IKE rekey response without a valid Nonce or KE');
  const { spi, ...suite } = chosen.value;
  return { kind: 'done', suite, spiR: spi, nonceR, peerKe: ke.data.slice() };
}

/** The DH step of an accepted rekey response, in a turn of its own on the device (IkeRekeyTask, ChildRekeyTask). */
export function rekeySharedSecret(keyPair: DhKeyPair, peerKe: Uint8Array, sa: 'IKE SA' | 'CHILD SA'): Uint8Array | RekeyFailure {
  return keyPair.computeShared(peerKe) ?? fail('PROTOCOL_ERROR', `invalid ${keyPair.group.name} public value in the ${sa} rekey response`);
}

/** The gateway's CHILD SA rekey as we accept it; TSi is the gateway's side, TSr ours (it initiates). */
export interface GatewayChildRekey {
  kind: 'accept';
  proposalNumber: number;
  /** The gateway's inbound SPI of the new SA: our outbound. */
  espSpiOut: Uint8Array;
  nonceI: Uint8Array;
  /** The gateway's KE, when it rekeys with PFS: we answer in the same group. */
  ke: { group: DhGroup; data: Uint8Array } | undefined;
  tsi: Ipv4Selector[];
  tsr: Ipv4Selector[];
}

export type GatewayChildRekeyRefusal = { kind: 'refuse'; notify: number; reason: string; data?: Uint8Array };

/**
 * Checks the gateway's rekey of our CHILD SA: a proposal with exactly the suite in use and, when
 * espProposals name DH groups (`pfsGroups`), a KE in one of them (else none); a nonce; and
 * selectors inside the current ones (`local` = ours, `remote` = the gateway's).
 */
export function acceptGatewayChildRekey(
  msg: IkeMessage, suite: EspSuite, pfsGroups: readonly DhGroup[], local: readonly Ipv4Selector[], remote: readonly Ipv4Selector[],
): GatewayChildRekey | GatewayChildRekeyRefusal {
  const ours = proposalTransforms(espSuiteSpec(suite));
  const same = (a: { type: number; id: number; keyLength?: number }, b: typeof a) => a.type === b.type && a.id === b.id && a.keyLength === b.keyLength;
  const groupsOf = (p: { transforms: readonly { type: number; id: number }[] }) => p.transforms.filter((t) => t.type === TransformType.DH).map((t) => t.id);
  const candidates = (findPayload(msg, 'SA')?.proposals ?? []).filter(
    // SPIs 0-255 are reserved (RFC 4303 2.1): a proposal carrying one is not a candidate.
    (p) => p.protocolId === ProtocolId.ESP && p.spi.length === 4 && readU32(p.spi, 0) >= 256 && ours.every((t) => p.transforms.some((u) => same(t, u))),
  );
  const ke = findPayload(msg, 'KE');
  let proposal: (typeof candidates)[number] | undefined;
  let pfs: DhGroup | undefined;
  if (pfsGroups.length === 0) {
    proposal = candidates.find((p) => groupsOf(p).every((id) => id === 0)) ?? candidates.find((p) => groupsOf(p).includes(0));
    if (!proposal) return { kind: 'refuse', notify: NotifyType.NO_PROPOSAL_CHOSEN, reason: candidates.length ? 'the gateway wants PFS, espProposals name no DH group' : 'no proposal with the suite in use' };
  } else {
    pfs = pfsGroups.find((g) => g.id === ke?.group);
    proposal = pfs && candidates.find((p) => groupsOf(p).includes(pfs!.id));
    if (!proposal) {
      // A group we take offered with another KE: ask for ours (RFC 7296 1.3: INVALID_KE_PAYLOAD).
      const wanted = pfsGroups.find((g) => candidates.some((p) => groupsOf(p).includes(g.id)));
      if (wanted) return { kind: 'refuse', notify: NotifyType.INVALID_KE_PAYLOAD, reason: `KE must be ${wanted.name}`, data: Uint8Array.of(wanted.id >> 8, wanted.id & 0xff) };
      return { kind: 'refuse', notify: NotifyType.NO_PROPOSAL_CHOSEN, reason: `no proposal with the suite in use and PFS ${pfsGroups.map((g) => g.name).join('/')}` };
    }
  }
  const nonce = findPayload(msg, 'Nonce');
  if (!nonce || nonce.data.length < 16 || nonce.data.length > 256) return { kind: 'refuse', notify: NotifyType.INVALID_SYNTAX, reason: 'no valid Nonce' };
  const tsi = messageSelectors(msg, 'TSi');
  const tsr = messageSelectors(msg, 'TSr');
  if (!narrowingAcceptable(tsi, remote) || !narrowingAcceptable(tsr, local)) return { kind: 'refuse', notify: NotifyType.TS_UNACCEPTABLE, reason: 'traffic selectors outside the current CHILD SA' };
  const keData = pfs && ke ? { group: pfs, data: ke.data.slice() } : undefined;
  return { kind: 'accept', proposalNumber: proposal.number, espSpiOut: proposal.spi.slice(), nonceI: nonce.data.slice(), ke: keData, tsi, tsr };
}

/** `keyPair`: ours, in the gateway's PFS group, when it sent a KE. */
export function gatewayChildRekeyResponse(accepted: GatewayChildRekey, suite: EspSuite, newSpiIn: Uint8Array, nonceR: Uint8Array, keyPair: DhKeyPair | undefined): Payload[] {
  return [
    saPayload([{ number: accepted.proposalNumber, protocolId: ProtocolId.ESP, spi: newSpiIn, transforms: proposalTransforms(espSuiteSpec(suite, keyPair?.group)) }]),
    noncePayload(nonceR),
    ...(keyPair ? [kePayload(keyPair.group.id, keyPair.publicKey)] : []),
    tsPayload('TSi', accepted.tsi.map(selectorToWire)),
    tsPayload('TSr', accepted.tsr.map(selectorToWire)),
  ];
}

export type GatewayCreateChildSa = 'rekey-child' | 'rekey-ike' | 'new-child';

/** What the gateway's CREATE_CHILD_SA request asks for. */
export function classifyCreateChildSa(msg: IkeMessage): GatewayCreateChildSa {
  if (findNotify(msg, NotifyType.REKEY_SA)) return 'rekey-child';
  const sa = findPayload(msg, 'SA');
  return sa?.proposals.some((p) => p.protocolId === ProtocolId.IKE) ? 'rekey-ike' : 'new-child';
}

function refusal(msg: IkeMessage, what: string): RekeyFailure | undefined {
  const error = findErrorNotify(msg);
  if (!error) return undefined;
  const name = notifyName(error.notifyType);
  const group = error.notifyType === NotifyType.INVALID_KE_PAYLOAD && error.data.length === 2 ? (error.data[0]! << 8) | error.data[1]! : undefined;
  // RFC 7296 2.25: TEMPORARY_FAILURE (the gateway is busy, e.g. rekeying itself) means try again later.
  return { kind: 'failed', failure: failure(causeOfNotify(name), `gateway refused to rekey the ${what}: ${printable(name)}`), temporary: error.notifyType === NotifyType.TEMPORARY_FAILURE, group };
}

function responderNonce(msg: IkeMessage): Uint8Array | undefined {
  const nonce = findPayload(msg, 'Nonce');
  return nonce && nonce.data.length >= 16 && nonce.data.length <= 256 ? nonce.data.slice() : undefined;
}

function fail(cause: IkeFailure['cause'], detail: string): RekeyFailure {
  return { kind: 'failed', failure: failure(cause, detail), temporary: false };
}
