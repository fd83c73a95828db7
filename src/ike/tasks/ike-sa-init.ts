/**
 * The IKE_SA_INIT exchange (RFC 7296 1.2):
 *   HDR, SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)  -->
 *                                      <--  HDR, SA, KE, Nr, N(NAT-D)..., [N(COOKIE) | N(INVALID_KE_PAYLOAD)]
 * The task keeps the offer (SPIi, nonce, key pair, cookie) so COOKIE (2.6) and INVALID_KE (1.2)
 * retries resend the same SPIi and nonce with the cookie prepended or a new KE.
 */
import type { DhGroup, DhKeyPair, IkeSuite, ProposalSpec } from '../../crypto/index.ts';
import type { Random } from '../../platform.ts';
import { equalBytes } from '../../util/bytes.ts';
import {
  ExchangeType, findErrorNotify, findNotify, findPayload, findPayloads, kePayload, noncePayload, notifyName,
  notifyPayload, NotifyType, saPayload, type IkeMessage, type Payload,
} from '../codec/index.ts';
import { causeOfNotify, failure, type IkeFailure } from '../errors.ts';
import { detectNat, natDetectionHash, type NatDetectionResult } from '../nat.ts';
import { acceptIkeChoice, ikeProposals, offeredGroup } from '../proposals.ts';

export const NONCE_LENGTH = 32;
/** A responder asking for cookies or groups more often than this is broken or hostile. */
const MAX_COOKIE_ROUNDS = 3;
const MAX_KE_ROUNDS = 2;

export interface Endpoint {
  address: string;
  port: number;
}

export type InitOutcome =
  | { kind: 'retry'; reason: 'cookie' | 'invalid-ke' } // send buildRequest() again
  | { kind: 'stale'; reason: string } // answers a request we already replaced: keep waiting
  | { kind: 'failed'; failure: IkeFailure }
  | { kind: 'done'; spiR: Uint8Array; suite: IkeSuite; nonceR: Uint8Array; sharedSecret: Uint8Array; nat: NatDetectionResult | undefined };

export class IkeSaInitTask {
  readonly spiI: Uint8Array;
  readonly nonceI: Uint8Array;
  private keyPair: DhKeyPair;
  private cookie: Uint8Array | undefined;
  private cookieRounds = 0;
  private keRounds = 0;

  constructor(
    private readonly offered: readonly ProposalSpec[],
    group: DhGroup,
    private readonly random: Random,
    private readonly local: Endpoint,
    private readonly remote: Endpoint,
    /** Like strongSwan's encap=yes: a bogus source hash makes the gateway see a NAT and encapsulate. */
    private readonly forceEncap = false,
  ) {
    this.spiI = newIkeSpi(random);
    this.nonceI = random.bytes(NONCE_LENGTH);
    this.keyPair = group.generate(random);
  }

  get group(): DhGroup {
    return this.keyPair.group;
  }

  buildRequest(): IkeMessage {
    const zero = new Uint8Array(8);
    const payloads: Payload[] = [];
    // RFC 7296 2.6: the COOKIE notify must be the first payload.
    if (this.cookie) payloads.push(notifyPayload(NotifyType.COOKIE, this.cookie));
    payloads.push(
      saPayload(ikeProposals(this.offered)),
      kePayload(this.keyPair.group.id, this.keyPair.publicKey),
      noncePayload(this.nonceI),
      notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, this.forceEncap ? this.random.bytes(20) : natDetectionHash(this.spiI, zero, this.local.address, this.local.port)),
      notifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, natDetectionHash(this.spiI, zero, this.remote.address, this.remote.port)),
    );
    return { spiI: this.spiI, spiR: zero, exchange: ExchangeType.IKE_SA_INIT, initiator: true, response: false, messageId: 0, payloads };
  }

  processResponse(msg: IkeMessage): InitOutcome {
    const cookie = findNotify(msg, NotifyType.COOKIE);
    if (cookie) {
      if (++this.cookieRounds > MAX_COOKIE_ROUNDS) return failed('PROTOCOL_ERROR', 'gateway keeps asking for a COOKIE');
      if (cookie.data.length < 1 || cookie.data.length > 64) return failed('PROTOCOL_ERROR', `COOKIE of ${cookie.data.length} bytes`);
      // Both the request and its retransmission may draw a COOKIE: the second changes nothing.
      if (this.cookie && equalBytes(this.cookie, cookie.data)) return { kind: 'stale', reason: 'repeated COOKIE' };
      this.cookie = cookie.data.slice();
      return { kind: 'retry', reason: 'cookie' };
    }
    const invalidKe = findNotify(msg, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe) {
      const wanted = invalidKe.data.length === 2 ? (invalidKe.data[0]! << 8) | invalidKe.data[1]! : -1;
      const group = offeredGroup(this.offered, wanted);
      if (!group) return failed('INVALID_KE_PAYLOAD', `gateway wants DH group ${wanted}, which ikeProposals do not allow`);
      // A late answer to the request we sent before switching groups.
      if (group.id === this.keyPair.group.id) return { kind: 'stale', reason: `repeated INVALID_KE_PAYLOAD for ${group.name}` };
      if (++this.keRounds > MAX_KE_ROUNDS) return failed('PROTOCOL_ERROR', 'gateway keeps rejecting our KE group');
      this.keyPair = group.generate(this.random);
      return { kind: 'retry', reason: 'invalid-ke' };
    }
    const error = findErrorNotify(msg);
    if (error) {
      const name = notifyName(error.notifyType);
      return failed(causeOfNotify(name), `gateway answered IKE_SA_INIT with ${name}`);
    }
    if (msg.spiR.every((b) => b === 0)) return failed('PROTOCOL_ERROR', 'IKE_SA_INIT response without responder SPI');
    const suite = acceptIkeChoice(this.offered, findPayload(msg, 'SA'));
    if (!suite.ok) return failed('PROPOSAL_MISMATCH', suite.error);
    const ke = findPayload(msg, 'KE');
    const nonce = findPayload(msg, 'Nonce');
    if (!ke || !nonce) return failed('PROTOCOL_ERROR', 'IKE_SA_INIT response without KE or Nonce');
    if (suite.value.dh.id !== this.keyPair.group.id || ke.group !== this.keyPair.group.id) {
      return failed('PROPOSAL_MISMATCH', `gateway chose group ${suite.value.dh.name} / KE ${ke.group}, our KE is ${this.keyPair.group.name}`);
    }
    if (nonce.data.length < 16 || nonce.data.length > 256) return failed('PROTOCOL_ERROR', `responder nonce of ${nonce.data.length} bytes`);
    const sharedSecret = this.keyPair.computeShared(ke.data);
    if (!sharedSecret) return failed('PROTOCOL_ERROR', `invalid ${this.keyPair.group.name} public value from the gateway`);
    const sources = findPayloads(msg, 'N').filter((n) => n.notifyType === NotifyType.NAT_DETECTION_SOURCE_IP).map((n) => n.data);
    const destination = findNotify(msg, NotifyType.NAT_DETECTION_DESTINATION_IP)?.data;
    const nat = detectNat(this.spiI, msg.spiR, this.local, this.remote, sources, destination);
    return { kind: 'done', spiR: msg.spiR.slice(), suite: suite.value, nonceR: nonce.data.slice(), sharedSecret, nat };
  }
}

function failed(cause: IkeFailure['cause'], detail: string): InitOutcome {
  return { kind: 'failed', failure: failure(cause, detail) };
}

/** An IKE SPI: 8 random bytes, never all zero (zero means "not yet known", RFC 7296 3.1). */
export function newIkeSpi(random: Random): Uint8Array {
  for (;;) {
    const b = random.bytes(8);
    if (b.some((x) => x !== 0)) return b;
  }
}
