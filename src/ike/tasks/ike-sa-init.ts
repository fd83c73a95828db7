/**
 * IKE_SA_INIT (RFC 7296 1.2):
 *   HDR, SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP), N(IKEV2_FRAGMENTATION_SUPPORTED)  -->
 *                                      <--  HDR, SA, KE, Nr, N(NAT-D)..., [N(IKEV2_FRAGMENTATION_SUPPORTED)], [N(COOKIE) | N(INVALID_KE_PAYLOAD)]
 * COOKIE (2.6) and INVALID_KE (1.2) rebuild the request with the same SPIi and nonce. The response
 * is not authenticated: an error notify or a response we cannot use does not end the exchange at
 * once (2.21) — a forger who sees our SPI must not take the device offline — the request stays out
 * until a valid response comes or the retransmissions end, and only then is the error reported.
 * A usable response is checked in its own turn; the shared secret and then the keys follow, a turn each.
 */
import { formatIkeSuite, type DhKeyPair, type IkeSuite } from '../../crypto/index.ts';
import type { Random } from '../../platform.ts';
import { equalBytes } from '../../util/bytes.ts';
import { printable } from '../../util/text.ts';
import {
  ExchangeType, findErrorNotify, findNotify, findPayload, findPayloads, kePayload, noncePayload, notifyName,
  notifyPayload, NotifyType, saPayload, type IkeMessage, type Payload,
} from '../codec/index.ts';
import { offerNonceLength, type IkeContext } from '../context.ts';
import { causeOfNotify, failure, type IkeFailure } from '../errors.ts';
import { keyIkeSa, type IkeSa } from '../ike-sa.ts';
import { detectNat, natDetectionHash } from '../nat.ts';
import { acceptIkeChoice, ikeProposals, noCommonProposalHint, offeredGroup, preferredGroup, unofferedGroupHint } from '../proposals.ts';
import { done, type Task, type TaskOutcome } from '../task.ts';

/** A responder asking for cookies or groups more often than this is broken or hostile. */
const MAX_COOKIE_ROUNDS = 3;
const MAX_KE_ROUNDS = 2;

/** A usable response, kept for the turns that follow it. */
interface Accepted {
  spiR: Uint8Array;
  suite: IkeSuite;
  nonceR: Uint8Array;
  peerKe: Uint8Array;
  /** Set in the first turn after the response. */
  sharedSecret: Uint8Array | undefined;
  natD: { sources: Uint8Array[]; destination: Uint8Array | undefined };
  /** The gateway sent IKEV2_FRAGMENTATION_SUPPORTED too. */
  fragmentation: boolean;
  raw: Uint8Array;
}

export class IkeSaInitTask implements Task {
  readonly name = 'IKE_SA_INIT';
  readonly exchange = ExchangeType.IKE_SA_INIT;
  private readonly nonceI: Uint8Array;
  private keyPair: DhKeyPair | undefined;
  private cookie: Uint8Array | undefined;
  private cookieRounds = 0;
  private keRounds = 0;
  private request: Uint8Array = new Uint8Array(0);
  /** The last unusable answer, reported if no valid one comes (RFC 7296 2.21). */
  private refusal: IkeFailure | undefined;
  private accepted: Accepted | undefined;

  constructor(private readonly ctx: IkeContext, now: number) {
    const offered = ctx.settings.proposals.ike;
    this.nonceI = ctx.random.bytes(offerNonceLength(offered));
    this.keyPair = ctx.keyPair(preferredGroup(offered), now);
  }

  build(sa: IkeSa): Payload[] {
    const { ctx } = this;
    const zero = new Uint8Array(8);
    const payloads: Payload[] = [];
    // RFC 7296 2.6: the COOKIE notify must be the first payload.
    if (this.cookie) payloads.push(notifyPayload(NotifyType.COOKIE, this.cookie));
    const kp = this.keyPair!;
    payloads.push(
      saPayload(ikeProposals(ctx.settings.proposals.ike)),
      kePayload(kp.group.id, kp.publicKey),
      noncePayload(this.nonceI),
      notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, ctx.forceEncap ? ctx.random.bytes(20) : natDetectionHash(sa.spiI, zero, ctx.local.address, ctx.local.port)),
      notifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, natDetectionHash(sa.spiI, zero, ctx.remote.address, ctx.remote.port)),
      notifyPayload(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
    );
    return payloads;
  }

  sent(wire: Uint8Array): void {
    this.request = wire;
  }

  process(_sa: IkeSa, msg: IkeMessage, raw: Uint8Array, now: number): TaskOutcome {
    const offered = this.ctx.settings.proposals.ike;
    const kp = this.keyPair!;
    const cookie = findNotify(msg, NotifyType.COOKIE);
    if (cookie) {
      if (cookie.data.length < 1 || cookie.data.length > 64) return this.unusable('PROTOCOL_ERROR', `COOKIE of ${cookie.data.length} bytes`);
      // Both the request and its retransmission may draw a COOKIE: the second changes nothing.
      if (this.cookie && equalBytes(this.cookie, cookie.data)) return { kind: 'wait', reason: 'repeated COOKIE' };
      if (++this.cookieRounds > MAX_COOKIE_ROUNDS) return this.unusable('PROTOCOL_ERROR', 'gateway keeps asking for a COOKIE');
      this.cookie = cookie.data.slice();
      this.ctx.log.info('gateway asked for a COOKIE: resending IKE_SA_INIT with it');
      return { kind: 'again' };
    }
    const invalidKe = findNotify(msg, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe) {
      const wanted = invalidKe.data.length === 2 ? (invalidKe.data[0]! << 8) | invalidKe.data[1]! : -1;
      const group = offeredGroup(offered, wanted);
      if (!group) return this.unusable('INVALID_KE_PAYLOAD', `gateway wants DH group ${wanted}, which ikeProposals do not allow${unofferedGroupHint(wanted)}`);
      // A late answer to the request we sent before switching groups.
      if (group.id === kp.group.id) return { kind: 'wait', reason: `repeated INVALID_KE_PAYLOAD for ${group.name}` };
      if (++this.keRounds > MAX_KE_ROUNDS) return this.unusable('PROTOCOL_ERROR', 'gateway keeps rejecting our KE group');
      kp.wipe();
      this.keyPair = this.ctx.keyPair(group, now);
      this.ctx.log.info(`gateway wants another group: resending IKE_SA_INIT with KE ${group.name}`);
      return { kind: 'again' };
    }
    const error = findErrorNotify(msg);
    if (error) {
      const name = notifyName(error.notifyType);
      const hint = error.notifyType === NotifyType.NO_PROPOSAL_CHOSEN ? noCommonProposalHint(offered) : '';
      return this.unusable(causeOfNotify(name), `gateway answered IKE_SA_INIT with ${printable(name)}${hint}`);
    }
    if (msg.spiR.every((b) => b === 0)) return this.unusable('PROTOCOL_ERROR', 'IKE_SA_INIT response without responder SPI');
    const suite = acceptIkeChoice(offered, findPayload(msg, 'SA'));
    if (!suite.ok) return this.unusable('PROPOSAL_MISMATCH', suite.error);
    const ke = findPayload(msg, 'KE');
    const nonce = findPayload(msg, 'Nonce');
    if (!ke || !nonce) return this.unusable('PROTOCOL_ERROR', 'IKE_SA_INIT response without KE or Nonce');
    if (suite.value.dh.id !== kp.group.id || ke.group !== kp.group.id) {
      return this.unusable('PROPOSAL_MISMATCH', `gateway chose group ${suite.value.dh.name} / KE ${ke.group}, our KE is ${kp.group.name}`);
    }
    const sources = findPayloads(msg, 'N').filter((n) => n.notifyType === NotifyType.NAT_DETECTION_SOURCE_IP).map((n) => n.data.slice());
    const destination = findNotify(msg, NotifyType.NAT_DETECTION_DESTINATION_IP)?.data.slice();
    const { spi: _spi, ...ikeSuite } = suite.value;
    this.accepted = { spiR: msg.spiR.slice(), suite: ikeSuite, nonceR: nonce.data.slice(), peerKe: ke.data.slice(), sharedSecret: undefined, natD: { sources, destination }, fragmentation: findNotify(msg, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED) !== undefined, raw: raw.slice() };
    return { kind: 'yield' };
  }

  /**
   * The costly steps after a usable response, a turn each: the DH shared secret (one scalar
   * multiplication fills a turn on the device), then NAT detection and the SA keys.
   */
  resume(sa: IkeSa, now: number): TaskOutcome {
    const a = this.accepted!;
    if (!a.sharedSecret) {
      const kp = this.keyPair!;
      const sharedSecret = kp.computeShared(a.peerKe);
      if (!sharedSecret) {
        this.accepted = undefined;
        return this.unusable('PROTOCOL_ERROR', `invalid ${kp.group.name} public value from the gateway`);
      }
      kp.wipe();
      a.sharedSecret = sharedSecret;
      return { kind: 'yield' };
    }
    const { ctx } = this;
    this.accepted = undefined;
    const nat = detectNat(sa.spiI, a.spiR, ctx.local, ctx.remote, a.natD.sources, a.natD.destination);
    keyIkeSa(sa, { suite: a.suite, spiR: a.spiR, nonceI: this.nonceI, nonceR: a.nonceR, sharedSecret: a.sharedSecret }, ctx.random, ctx.keyLog);
    sa.auth = { initRequest: this.request, initResponse: a.raw, nonceI: this.nonceI, nonceR: a.nonceR };
    sa.natT = nat !== undefined && (nat.localBehindNat || nat.remoteBehindNat);
    sa.fragmentation = a.fragmentation;
    ctx.log.info(`IKE_SA_INIT done: ${formatIkeSuite(a.suite)}${sa.natT ? ', NAT detected: floating to port 4500' : ''}`);
    if (sa.natT) ctx.emit({ type: 'nat-detected', local: nat!.localBehindNat, remote: nat!.remoteBehindNat }, now);
    return done;
  }

  timedOut(): IkeFailure {
    return this.refusal ?? failure('TIMEOUT', 'no response to IKE_SA_INIT after all transmissions');
  }

  abandon(): void {
    this.keyPair?.wipe();
    this.accepted?.sharedSecret?.fill(0);
    this.accepted = undefined;
  }

  private unusable(cause: IkeFailure['cause'], detail: string): TaskOutcome {
    this.refusal = failure(cause, detail);
    return { kind: 'wait', reason: detail };
  }
}

/** An IKE SPI: 8 random bytes, never all zero (zero means "not yet known", RFC 7296 3.1). */
export function newIkeSpi(random: Random): Uint8Array {
  for (;;) {
    const b = random.bytes(8);
    if (b.some((x) => x !== 0)) return b;
  }
}
