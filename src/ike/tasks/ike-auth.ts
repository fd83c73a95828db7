/**
 * The IKE_AUTH exchange with a pre-shared key, creating the first CHILD SA (RFC 7296 1.2, 2.15):
 *   HDR, SK {IDi, N(INITIAL_CONTACT), [IDr,] AUTH, CP(CFG_REQUEST), SA, TSi, TSr}  -->
 *                                    <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY), SA, TSi, TSr}
 * TSi asks for "any" so the gateway narrows it to the virtual IP it assigns.
 */
import type { EspSuite, PrfAlgorithm, ProposalSpec } from '../../crypto/index.ts';
import {
  AuthMethod, CfgType, CpAttributeType, cpRequest, findErrorNotify, findPayload, idPayload,
  notifyName, notifyPayload, NotifyType, saPayload, tsPayload, authPayload,
  type IkeMessage, type Payload,
} from '../codec/index.ts';
import { verifyPskAuth, pskAuth, signedOctets } from '../auth.ts';
import { causeOfNotify, failure, type IkeFailure } from '../errors.ts';
import { identityBody, identityToString, sameIdentity, type Identity } from '../identity.ts';
import { acceptEspChoice, espProposals } from '../proposals.ts';
import { addressToU32, formatSelector, messageSelectors, narrowingAcceptable, selectorToWire, type Ipv4Selector } from '../traffic-selectors.ts';
import { ipv4ToString } from '../../util/bytes.ts';

export interface AuthContext {
  prf: PrfAlgorithm;
  skPi: Uint8Array;
  skPr: Uint8Array;
  /** The IKE_SA_INIT request exactly as last sent (with the COOKIE and final KE) and the response. */
  initRequest: Uint8Array;
  initResponse: Uint8Array;
  nonceI: Uint8Array;
  nonceR: Uint8Array;
}

export interface AuthParams {
  localId: Identity;
  remoteId: Identity;
  /** Send IDr so a gateway with several identities picks the right one. */
  sendRemoteId: boolean;
  psk: Uint8Array;
  esp: readonly ProposalSpec[];
  espSpiIn: Uint8Array;
  tsi: readonly Ipv4Selector[];
  tsr: readonly Ipv4Selector[];
}

export interface ChildSaResult {
  suite: EspSuite;
  espSpiOut: Uint8Array;
  virtualIp: string;
  dns: string[];
  tsi: Ipv4Selector[];
  tsr: Ipv4Selector[];
}

export type AuthOutcome =
  /** `ikeSaUp`: the gateway authenticated us and holds an IKE SA we should delete. */
  | { kind: 'failed'; failure: IkeFailure; ikeSaUp: boolean }
  | { kind: 'done'; child: ChildSaResult };

export function buildAuthPayloads(ctx: AuthContext, p: AuthParams): Payload[] {
  const octets = signedOctets(ctx.prf, ctx.initRequest, ctx.nonceR, ctx.skPi, identityBody(p.localId));
  const payloads: Payload[] = [
    idPayload('IDi', p.localId.type, p.localId.data),
    // We hold exactly one IKE SA with this gateway: it may drop any stale ones from before a reboot.
    notifyPayload(NotifyType.INITIAL_CONTACT),
  ];
  if (p.sendRemoteId) payloads.push(idPayload('IDr', p.remoteId.type, p.remoteId.data));
  payloads.push(
    authPayload(AuthMethod.SHARED_KEY_MIC, pskAuth(ctx.prf, p.psk, octets)),
    cpRequest([CpAttributeType.INTERNAL_IP4_ADDRESS, CpAttributeType.INTERNAL_IP4_DNS]),
    saPayload(espProposals(p.esp, p.espSpiIn)),
    tsPayload('TSi', p.tsi.map(selectorToWire)),
    tsPayload('TSr', p.tsr.map(selectorToWire)),
  );
  return payloads;
}

export function processAuthResponse(ctx: AuthContext, p: AuthParams, msg: IkeMessage): AuthOutcome {
  const error = findErrorNotify(msg);
  if (error?.notifyType === NotifyType.AUTHENTICATION_FAILED) return failed('AUTHENTICATION_FAILED', 'gateway rejected our authentication (PSK or identity)', false);
  const idr = findIdr(msg);
  const auth = findPayload(msg, 'AUTH');
  if (!idr || !auth) {
    if (error) return failed(causeOfNotify(notifyName(error.notifyType)), `gateway answered IKE_AUTH with ${notifyName(error.notifyType)}`, false);
    return failed('PROTOCOL_ERROR', 'IKE_AUTH response without IDr or AUTH', false);
  }
  const peer: Identity = { type: idr.idType, data: idr.data };
  if (!sameIdentity(peer, p.remoteId)) return failed('PEER_ID_MISMATCH', `gateway is '${identityToString(peer)}', expected '${identityToString(p.remoteId)}'`, true);
  if (auth.method !== AuthMethod.SHARED_KEY_MIC) return failed('PEER_AUTH_MISMATCH', `gateway used auth method ${auth.method}, expected PSK`, true);
  const octets = signedOctets(ctx.prf, ctx.initResponse, ctx.nonceI, ctx.skPr, identityBody(peer));
  if (!verifyPskAuth(ctx.prf, p.psk, octets, auth.data)) return failed('PEER_AUTH_MISMATCH', 'gateway AUTH does not verify with our PSK', true);
  // The gateway is authenticated; from here on failures concern the CHILD SA.
  if (error) return failed(causeOfNotify(notifyName(error.notifyType)), `gateway refused the CHILD SA: ${notifyName(error.notifyType)}`, true);
  const esp = acceptEspChoice(p.esp, findPayload(msg, 'SA'));
  if (!esp.ok) return failed('PROPOSAL_MISMATCH', esp.error, true);
  const tsi = messageSelectors(msg, 'TSi');
  const tsr = messageSelectors(msg, 'TSr');
  if (!narrowingAcceptable(tsi, p.tsi) || !narrowingAcceptable(tsr, p.tsr)) {
    return failed('TS_MISMATCH', `gateway narrowed to TSi ${tsi.map(formatSelector).join(',') || 'none'} TSr ${tsr.map(formatSelector).join(',') || 'none'}`, true);
  }
  const cp = findPayload(msg, 'CP');
  const attrs = cp && cp.cfgType === CfgType.REPLY ? cp.attributes : [];
  const vip = attrs.find((a) => a.type === CpAttributeType.INTERNAL_IP4_ADDRESS && a.value.length >= 4);
  if (!vip) return failed('NO_VIRTUAL_IP', 'gateway assigned no INTERNAL_IP4_ADDRESS', true);
  const virtualIp = ipv4ToString(vip.value);
  // The gateway narrows TSi to the virtual IP; a TSi without it would make the tunnel useless.
  const vipN = addressToU32(vip.value);
  if (!tsi.some((s) => s.start <= vipN && vipN <= s.end)) return failed('TS_MISMATCH', `TSi ${tsi.map(formatSelector).join(',')} does not cover virtual IP ${virtualIp}`, true);
  const dns = attrs.filter((a) => a.type === CpAttributeType.INTERNAL_IP4_DNS && a.value.length === 4).map((a) => ipv4ToString(a.value));
  return { kind: 'done', child: { suite: esp.value.suite, espSpiOut: esp.value.spi.slice(), virtualIp, dns, tsi, tsr } };
}

/** findPayload(msg, 'IDr') is typed `never` by the codec (IDi/IDr share one union member with TSi/TSr). */
function findIdr(msg: IkeMessage): Extract<Payload, { kind: 'IDi' | 'IDr' }> | undefined {
  return [...msg.payloads, ...(msg.encrypted ?? [])].find((p): p is Extract<Payload, { kind: 'IDi' | 'IDr' }> => p.kind === 'IDr');
}

function failed(cause: IkeFailure['cause'], detail: string, ikeSaUp: boolean): AuthOutcome {
  return { kind: 'failed', failure: failure(cause, detail), ikeSaUp };
}
