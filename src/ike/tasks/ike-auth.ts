/**
 * IKE_AUTH with a pre-shared key, creating the first CHILD SA (RFC 7296 1.2, 2.15):
 *   HDR, SK {IDi, N(INITIAL_CONTACT), [IDr,] AUTH, CP(CFG_REQUEST), SA, TSi, TSr, N(MOBIKE_SUPPORTED)}  -->
 *                             <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY), SA, TSi, TSr, [N(MOBIKE_SUPPORTED)]}
 * TSi asks for "any" so the gateway narrows it to the virtual IP it assigns. The gateway's AUTH
 * is checked over the ID payload exactly as received. Once AUTH is done the IKE_SA_INIT messages,
 * nonces and SK_p* are dropped. The response's turn checks it; the CHILD SA is keyed and installed
 * in the next turn (each is a long turn on the device).
 */
import { ipv4ToString, readU32 } from '../../util/bytes.ts';
import { printable } from '../../util/text.ts';
import { pskAuth, signedOctets, verifyPskAuth } from '../auth.ts';
import { buildChildSa, newEspSpi, type ChildSaResult } from '../child-sa.ts';
import {
  AuthMethod, CfgType, CpAttributeType, cpRequest, ExchangeType, findErrorNotify, findNotify, findPayload, idPayload,
  notifyName, notifyPayload, NotifyType, saPayload, tsPayload, authPayload,
  type IkeMessage, type Payload,
} from '../codec/index.ts';
import type { IkeContext } from '../context.ts';
import { causeOfNotify, failure, type IkeFailure } from '../errors.ts';
import { identityBody, identityToString, sameIdentity, type Identity } from '../identity.ts';
import { dropAuthMaterial, type IkeSa } from '../ike-sa.ts';
import { acceptEspChoice, espProposals } from '../proposals.ts';
import { addressToU32, ANY_IPV4, formatSelector, messageSelectors, narrowingAcceptable, selectorToWire } from '../traffic-selectors.ts';
import { done, type Task, type TaskOutcome } from '../task.ts';

type Accepted = { kind: 'done'; child: ChildSaResult; authLifetimeMs: number | undefined };
type Verdict = { kind: 'failed'; failure: IkeFailure; deleteSa: boolean } | Accepted;

export class IkeAuthTask implements Task {
  readonly name = 'IKE_AUTH';
  readonly exchange = ExchangeType.IKE_AUTH;
  private readonly espSpiIn: Uint8Array;
  private accepted: Accepted | undefined;

  /**
   * `reauth`: this IKE SA re-authenticates the device while the old one still carries traffic
   * (RFC 4478): no INITIAL_CONTACT, which would make the gateway drop the old SA before the new is up.
   */
  constructor(private readonly ctx: IkeContext, private readonly reauth = false) {
    this.espSpiIn = newEspSpi(ctx.random);
  }

  build(sa: IkeSa): Payload[] {
    const { settings: s } = this.ctx;
    const a = sa.auth!;
    const prf = sa.suite!.prf;
    const octets = signedOctets(prf, a.initRequest, a.nonceR, sa.keys!.skPi, identityBody(s.localId));
    const payloads: Payload[] = [
      idPayload('IDi', s.localId.type, s.localId.data),
    ];
    // We hold exactly one IKE SA with this gateway: it may drop any stale ones from before a reboot.
    if (!this.reauth) payloads.push(notifyPayload(NotifyType.INITIAL_CONTACT));
    if (s.sendRemoteId) payloads.push(idPayload('IDr', s.remoteId.type, s.remoteId.data));
    payloads.push(
      authPayload(AuthMethod.SHARED_KEY_MIC, pskAuth(prf, s.psk, octets)),
      cpRequest([CpAttributeType.INTERNAL_IP4_ADDRESS, CpAttributeType.INTERNAL_IP4_DNS]),
      saPayload(espProposals(s.proposals.esp, this.espSpiIn)),
      tsPayload('TSi', [selectorToWire(ANY_IPV4)]),
      tsPayload('TSr', s.remoteTs.map(selectorToWire)),
      // RFC 4555: after a carrier loss the new link moves this IKE SA instead of making a new one.
      notifyPayload(NotifyType.MOBIKE_SUPPORTED),
    );
    return payloads;
  }

  process(sa: IkeSa, msg: IkeMessage): TaskOutcome {
    const verdict = this.check(sa, msg);
    if (verdict.kind === 'failed') {
      dropAuthMaterial(sa);
      return verdict;
    }
    this.accepted = verdict;
    sa.mobike = findNotify(msg, NotifyType.MOBIKE_SUPPORTED) !== undefined;
    return { kind: 'yield' };
  }

  /** The gateway is authenticated (a turn ago): the CHILD SA's keys and its install, in a turn of their own. */
  resume(sa: IkeSa, now: number): TaskOutcome {
    const { ctx } = this;
    const verdict = this.accepted!;
    this.accepted = undefined;
    const child = buildChildSa(
      {
        initiator: true, prf: sa.suite!.prf, skD: sa.keys!.skD, nonceI: sa.auth!.nonceI, nonceR: sa.auth!.nonceR, spiIn: this.espSpiIn,
        result: verdict.child, udpEncap: sa.natT, localAddress: ctx.local.address, gateway: ctx.remote.address,
      },
      { random: ctx.random, drops: ctx.espDrops, keyLog: ctx.keyLog },
    );
    dropAuthMaterial(sa);
    ctx.established(sa, child, now, verdict.authLifetimeMs);
    return done;
  }

  timedOut(): IkeFailure {
    return failure('TIMEOUT', 'no response to IKE_AUTH after all transmissions');
  }

  abandon(): void {}

  private check(sa: IkeSa, msg: IkeMessage): Verdict {
    const { settings: s } = this.ctx;
    const a = sa.auth!;
    const error = findErrorNotify(msg);
    const idr = findIdr(msg);
    const auth = findPayload(msg, 'AUTH');
    if (!idr || !auth) {
      // Not authenticated (RFC 7296 2.21.2): a wrong PSK or identity of ours, or a forgery by
      // whoever answered IKE_SA_INIT. Retried on the normal backoff, never taken as permanent.
      if (error?.notifyType === NotifyType.AUTHENTICATION_FAILED) return failed('AUTHENTICATION_FAILED', 'gateway rejected our authentication (PSK or identity), unauthenticated', false, true);
      if (error) return failed(causeOfNotify(notifyName(error.notifyType)), `gateway answered IKE_AUTH with ${printable(notifyName(error.notifyType))}, unauthenticated`, false, true);
      return failed('PROTOCOL_ERROR', 'IKE_AUTH response without IDr or AUTH', false);
    }
    const peer: Identity = { type: idr.idType, data: idr.data };
    if (!sameIdentity(peer, s.remoteId)) return failed('PEER_ID_MISMATCH', `gateway is '${printable(identityToString(peer))}', expected '${printable(identityToString(s.remoteId))}'`, true);
    if (auth.method !== AuthMethod.SHARED_KEY_MIC) return failed('PEER_AUTH_MISMATCH', `gateway used auth method ${auth.method}, expected PSK`, true);
    const prf = sa.suite!.prf;
    const octets = signedOctets(prf, a.initResponse, a.nonceI, sa.keys!.skPr, idr.body);
    if (!verifyPskAuth(prf, s.psk, octets, auth.data)) return failed('PEER_AUTH_MISMATCH', 'gateway AUTH does not verify with our PSK', true);
    // The gateway is authenticated: its requests count from now on, and so do its refusals.
    sa.peerAuthenticated = true;
    if (error?.notifyType === NotifyType.AUTHENTICATION_FAILED) return failed('AUTHENTICATION_FAILED', 'gateway rejected our authentication (PSK or identity)', true);
    if (error) return failed(causeOfNotify(notifyName(error.notifyType)), `gateway refused the CHILD SA: ${printable(notifyName(error.notifyType))}`, true);
    const esp = acceptEspChoice(s.proposals.esp, findPayload(msg, 'SA'));
    if (!esp.ok) return failed('PROPOSAL_MISMATCH', esp.error, true);
    const tsi = messageSelectors(msg, 'TSi');
    const tsr = messageSelectors(msg, 'TSr');
    if (!narrowingAcceptable(tsi, [ANY_IPV4]) || !narrowingAcceptable(tsr, s.remoteTs)) {
      return failed('TS_MISMATCH', `gateway narrowed to TSi ${tsi.map(formatSelector).join(',') || 'none'} TSr ${tsr.map(formatSelector).join(',') || 'none'}`, true);
    }
    const cp = findPayload(msg, 'CP');
    const attrs = cp && cp.cfgType === CfgType.REPLY ? cp.attributes : [];
    const vip = attrs.find((x) => x.type === CpAttributeType.INTERNAL_IP4_ADDRESS && x.value.length >= 4);
    if (!vip) return failed('NO_VIRTUAL_IP', 'gateway assigned no INTERNAL_IP4_ADDRESS', true);
    const virtualIp = ipv4ToString(vip.value);
    // The gateway narrows TSi to the virtual IP; a TSi without it would make the tunnel useless.
    const vipN = addressToU32(vip.value);
    if (!tsi.some((x) => x.start <= vipN && vipN <= x.end)) return failed('TS_MISMATCH', `TSi ${tsi.map(formatSelector).join(',')} does not cover virtual IP ${virtualIp}`, true);
    const dns = attrs.filter((x) => x.type === CpAttributeType.INTERNAL_IP4_DNS && x.value.length === 4).slice(0, 4).map((x) => ipv4ToString(x.value));
    // RFC 4478: the gateway wants us authenticated again within this many seconds.
    const lifetime = findNotify(msg, NotifyType.AUTH_LIFETIME);
    const authLifetimeMs = lifetime?.data.length === 4 ? readU32(lifetime.data, 0) * 1000 : undefined;
    return { kind: 'done', child: { suite: esp.value.suite, espSpiOut: esp.value.spi.slice(), virtualIp, dns, tsi, tsr }, authLifetimeMs };
  }
}

/** findPayload(msg, 'IDr') is typed `never` by the codec (IDi/IDr share one union member with TSi/TSr). */
function findIdr(msg: IkeMessage): Extract<Payload, { kind: 'IDi' | 'IDr' }> | undefined {
  return [...msg.payloads, ...(msg.encrypted ?? [])].find((p): p is Extract<Payload, { kind: 'IDi' | 'IDr' }> => p.kind === 'IDr');
}

function failed(cause: IkeFailure['cause'], detail: string, deleteSa: boolean, unauthenticated?: boolean): Verdict {
  return { kind: 'failed', failure: failure(cause, detail, unauthenticated), deleteSa };
}
