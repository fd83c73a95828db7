/**
 * An in-process IKEv2 responder just good enough to drive IkeSession through its flows in
 * unit tests (COOKIE, INVALID_KE, refusals, gateway requests). Interop is proven against the
 * real strongSwan in test/e2e/ike-strongswan.test.ts; this fake only makes flows reproducible.
 */
import { randomBytes } from 'node:crypto';
import {
  createAuthCipher, findDhGroup, ikeSuiteFromTransforms, espSuiteFromTransforms, proposalTransforms, type AuthCipher, type EspSuite, type IkeSaKeymat, type IkeSuite,
} from '../../src/crypto/index.ts';
import {
  AuthMethod, CfgType, CpAttributeType, decodeMessage, deletePayload, encodeMessage, ExchangeType, findNotify, findPayload,
  idPayload, ipv4Selector, kePayload, noncePayload, notifyPayload, NotifyType, ProtocolId, saPayload, tsPayload,
  type IkeMessage, type Payload, type Proposal,
} from '../../src/ike/codec/index.ts';
import { pskAuth, signedOctets, verifyPskAuth } from '../../src/ike/auth.ts';
import { identityFromString } from '../../src/ike/identity.ts';
import { deriveChildSaKeys, deriveIkeSaKeys } from '../../src/ike/keys.ts';
import { natDetectionHash } from '../../src/ike/nat.ts';
import { espSuiteSpec } from '../../src/ike/proposals.ts';
import { EspInboundSa, EspOutboundSa } from '../../src/esp/index.ts';
import { concatBytes, readU32, utf8 } from '../../src/util/bytes.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';
import type { Random } from '../../src/platform.ts';

export const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };

export interface FakeGatewayOptions {
  psk: string;
  /** Where its SPIs, nonces and keys come from (default: node:crypto); the fuzzer passes a seeded one. */
  random?: Random;
  id: string;
  /** Ask for a COOKIE until the request carries one. */
  cookie?: boolean;
  /** Answer INVALID_KE_PAYLOAD unless the KE uses this group. */
  group?: number;
  /** Replace the chosen IKE proposal (e.g. with something never offered). */
  ikeChoice?: (offered: Proposal[]) => Proposal;
  /** Answer IKE_SA_INIT with this error notify. */
  initError?: number;
  /** Answer IKE_AUTH with this error notify (after authenticating) or AUTHENTICATION_FAILED alone. */
  authError?: number;
  /** The gateway signs with another PSK (the initiator must refuse it). */
  signPsk?: string;
  vip?: string;
  /** How the gateway sees the initiator: a different address means NAT. */
  observed?: { address: string; port: number };
  gatewayAddress?: string;
  /** Narrowed TSr to return (default: what was asked). */
  tsr?: [string, string];
  /** Answer CREATE_CHILD_SA (rekeys) with this error notify (default: NO_PROPOSAL_CHOSEN; strongSwan does them in the lab). */
  rekeyError?: number;
  /** Instead, accept CHILD SA rekeys with this responder nonce (tests choose it to decide collisions). */
  rekeyNonceR?: Uint8Array;
  /** The ESP SPI the gateway picks in IKE_AUTH (default random). */
  espSpi?: Uint8Array;
  /** The three reserved octets of its IDr payload, which its AUTH covers (RFC 7296 2.15: as sent). */
  idReserved?: [number, number, number];
  /** RFC 4478: tell the device to re-authenticate within this many seconds. */
  authLifetime?: number;
  /** Say MOBIKE_SUPPORTED in IKE_AUTH and answer UPDATE_SA_ADDRESSES (RFC 4555), as strongSwan does by default. */
  mobike?: boolean;
  /** Leave IKE_AUTH unanswered: IKE_SA_INIT done, its keys held, no PSK proven (a man in the middle). */
  silentAuth?: boolean;
}

interface GwSa {
  spiI: Uint8Array;
  spiR: Uint8Array;
  suite: IkeSuite;
  keys: IkeSaKeymat;
  cipherIn: AuthCipher; // initiator -> us
  cipherOut: AuthCipher;
  nonceI: Uint8Array;
  nonceR: Uint8Array;
  initRequest: Uint8Array;
  initResponse: Uint8Array;
  nextRequestId: number;
  espSuite?: EspSuite;
  espSpiI?: Uint8Array; // the initiator's inbound SPI
  espSpiR?: Uint8Array;
}

export class FakeGateway {
  /** The newest IKE SA (the device may hold two while it re-authenticates: every SA is kept in `sas`). */
  sa: GwSa | undefined;
  readonly sas: GwSa[] = [];
  received: IkeMessage[] = [];
  authOk: boolean | undefined;
  addressUpdates = 0;
  private readonly cookieValue = utf8('fake-cookie-0123');
  readonly random: Random;

  constructor(readonly o: FakeGatewayOptions) {
    this.random = o.random ?? random;
  }

  /** One IKE message (marker already stripped) in, the response (if any) out. */
  handle(bytes: Uint8Array): Uint8Array | undefined {
    const isInit = bytes[18] === ExchangeType.IKE_SA_INIT;
    const newest = this.sa;
    const of = isInit ? undefined : this.sas.find((x) => x.spiI.every((b, i) => b === bytes[i]));
    if (!of) return this.handleOn(bytes, isInit);
    this.sa = of;
    try {
      return this.handleOn(bytes, isInit);
    } finally {
      if (this.sa === of) this.sa = newest;
    }
  }

  private handleOn(bytes: Uint8Array, isInit: boolean): Uint8Array | undefined {
    // A restarted gateway knows no SA: like strongSwan, it says nothing.
    if (!isInit && !this.sa) return undefined;
    const d = decodeMessage(bytes, isInit ? undefined : this.sa?.cipherIn);
    if (!d.ok) throw new Error(`fake gateway cannot decode: ${d.error.message}`);
    const msg = d.value.message;
    this.received.push(msg);
    if (msg.response) return undefined;
    if (isInit) return this.init(msg, bytes);
    if (msg.exchange === ExchangeType.IKE_AUTH) return this.o.silentAuth ? undefined : this.auth(msg);
    if (msg.exchange === ExchangeType.CREATE_CHILD_SA && this.o.rekeyNonceR) return this.acceptChildRekey(msg, this.o.rekeyNonceR);
    if (msg.exchange === ExchangeType.CREATE_CHILD_SA) return this.encrypted(msg.exchange, msg.messageId, true, [notifyPayload(this.o.rekeyError ?? NotifyType.NO_PROPOSAL_CHOSEN)]);
    if (this.o.mobike && this.notify(msg, NotifyType.UPDATE_SA_ADDRESSES)) return this.updateSaAddresses(msg);
    // INFORMATIONAL from the initiator: empty answer.
    return this.encrypted(msg.exchange, msg.messageId, true, []);
  }

  /** RFC 4555 3.5: COOKIE2 echoed, NAT-D as the gateway sees this path. */
  private updateSaAddresses(msg: IkeMessage): Uint8Array {
    const sa = this.sa!;
    this.addressUpdates++;
    const cookie2 = msg.encrypted!.find((p) => p.kind === 'N' && p.notifyType === NotifyType.COOKIE2);
    const observed = this.o.observed ?? { address: '127.0.0.1', port: 40000 };
    return this.encrypted(msg.exchange, msg.messageId, true, [
      notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, natDetectionHash(sa.spiI, sa.spiR, this.o.gatewayAddress ?? '192.0.2.254', 4500)),
      notifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, natDetectionHash(sa.spiI, sa.spiR, observed.address, observed.port)),
      ...(cookie2?.kind === 'N' ? [notifyPayload(NotifyType.COOKIE2, cookie2.data)] : []),
    ]);
  }

  /** A gateway restart: every SA forgotten. */
  forgetAll(): void {
    this.sa = undefined;
    this.sas.length = 0;
  }

  private plain(spiI: Uint8Array, spiR: Uint8Array, payloads: Payload[]): Uint8Array {
    return encodeMessage({ spiI, spiR, exchange: ExchangeType.IKE_SA_INIT, initiator: false, response: true, messageId: 0, payloads });
  }

  private init(msg: IkeMessage, raw: Uint8Array): Uint8Array {
    const zero = new Uint8Array(8);
    if (this.o.cookie) {
      const first = msg.payloads[0];
      const ok = first?.kind === 'N' && first.notifyType === NotifyType.COOKIE && first.data.every((b, i) => b === this.cookieValue[i]);
      if (!ok) return this.plain(msg.spiI, zero, [notifyPayload(NotifyType.COOKIE, this.cookieValue)]);
    }
    const ke = findPayload(msg, 'KE')!;
    if (this.o.group !== undefined && ke.group !== this.o.group) {
      return this.plain(msg.spiI, zero, [notifyPayload(NotifyType.INVALID_KE_PAYLOAD, Uint8Array.of(this.o.group >> 8, this.o.group & 0xff))]);
    }
    const spiR = this.random.bytes(8);
    if (this.o.initError !== undefined) return this.plain(msg.spiI, spiR, [notifyPayload(this.o.initError)]);
    const offered = findPayload(msg, 'SA')!.proposals;
    const chosen = this.o.ikeChoice ? this.o.ikeChoice(offered) : pickIke(offered, ke.group);
    const suite = ikeSuiteFromTransforms(chosen.transforms);
    if (!suite.ok) throw new Error(suite.error);
    const dh = findDhGroup(ke.group)!.generate(this.random);
    const nonceR = this.random.bytes(32);
    const nonceI = findPayload(msg, 'Nonce')!.data;
    const shared = dh.computeShared(ke.data)!;
    const keys = deriveIkeSaKeys(suite.value, nonceI, nonceR, shared, msg.spiI, spiR);
    const observed = this.o.observed ?? { address: '127.0.0.1', port: 40000 };
    const response = this.plain(msg.spiI, spiR, [
      saPayload([chosen]),
      kePayload(ke.group, dh.publicKey),
      noncePayload(nonceR),
      notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, natDetectionHash(msg.spiI, spiR, this.o.gatewayAddress ?? '192.0.2.254', 500)),
      notifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, natDetectionHash(msg.spiI, spiR, observed.address, observed.port)),
    ]);
    const cipher = (e: Uint8Array, a: Uint8Array): AuthCipher => suite.value.integ
      ? createAuthCipher({ encr: suite.value.encr, encrKey: e, integ: suite.value.integ, integKey: a, random: this.random })
      : createAuthCipher({ encr: suite.value.encr, encrKey: e, random: this.random });
    this.sa = {
      spiI: msg.spiI, spiR, suite: suite.value, keys, cipherIn: cipher(keys.skEi, keys.skAi), cipherOut: cipher(keys.skEr, keys.skAr),
      nonceI, nonceR, initRequest: raw, initResponse: response, nextRequestId: 0,
    };
    this.sas.push(this.sa);
    return response;
  }

  private auth(msg: IkeMessage): Uint8Array {
    const sa = this.sa!;
    const prf = sa.suite.prf;
    const idi = msg.encrypted!.find((p) => p.kind === 'IDi');
    const auth = findPayload(msg, 'AUTH')!;
    if (idi?.kind !== 'IDi') throw new Error('no IDi');
    const octetsI = signedOctets(prf, sa.initRequest, sa.nonceR, sa.keys.skPi, concatBytes(Uint8Array.of(idi.idType, 0, 0, 0), idi.data));
    this.authOk = verifyPskAuth(prf, utf8(this.o.psk), octetsI, auth.data);
    if (!this.authOk || this.o.authError === NotifyType.AUTHENTICATION_FAILED) {
      return this.encrypted(ExchangeType.IKE_AUTH, msg.messageId, true, [notifyPayload(NotifyType.AUTHENTICATION_FAILED)]);
    }
    const id = identityFromString(this.o.id);
    const idr = idPayload('IDr', id.type, id.data);
    if (this.o.idReserved) idr.body.set(this.o.idReserved, 1);
    const octetsR = signedOctets(prf, sa.initResponse, sa.nonceI, sa.keys.skPr, idr.body);
    const payloads: Payload[] = [
      idr,
      { kind: 'AUTH', method: AuthMethod.SHARED_KEY_MIC, data: pskAuth(prf, utf8(this.o.signPsk ?? this.o.psk), octetsR) },
    ];
    if (this.o.authError !== undefined) {
      payloads.push(notifyPayload(this.o.authError));
      return this.encrypted(ExchangeType.IKE_AUTH, msg.messageId, true, payloads);
    }
    const espProposal = findPayload(msg, 'SA')!.proposals[0]!;
    const espSuite = espSuiteFromTransforms(espProposal.transforms.filter((t, i, all) => all.findIndex((u) => u.type === t.type) === i));
    if (!espSuite.ok) throw new Error(espSuite.error);
    sa.espSuite = espSuite.value;
    sa.espSpiI = espProposal.spi;
    sa.espSpiR = this.o.espSpi ?? this.random.bytes(4);
    const chosen: Proposal = { ...espProposal, spi: sa.espSpiR, transforms: espProposal.transforms.filter((t, i, all) => all.findIndex((u) => u.type === t.type) === i) };
    const vipBytes = this.vipBytes();
    const tsr = this.o.tsr ?? ['198.51.100.0', '198.51.100.255'];
    if (this.o.mobike) payloads.push(notifyPayload(NotifyType.MOBIKE_SUPPORTED));
    if (this.o.authLifetime !== undefined) payloads.push(notifyPayload(NotifyType.AUTH_LIFETIME, Uint8Array.of(0, 0, this.o.authLifetime >> 8, this.o.authLifetime & 0xff)));
    payloads.push(
      { kind: 'CP', cfgType: CfgType.REPLY, attributes: [
        { type: CpAttributeType.INTERNAL_IP4_ADDRESS, value: vipBytes },
        { type: CpAttributeType.INTERNAL_IP4_DNS, value: Uint8Array.of(198, 51, 100, 53) },
      ] },
      saPayload([chosen]),
      tsPayload('TSi', [ipv4Selector(vipBytes, vipBytes)]),
      tsPayload('TSr', [ipv4Selector(Uint8Array.from(tsr[0].split('.').map(Number)), Uint8Array.from(tsr[1].split('.').map(Number)))]),
    );
    return this.encrypted(ExchangeType.IKE_AUTH, msg.messageId, true, payloads);
  }

  /** A request from the gateway (liveness check, DELETE) with its own message IDs. */
  request(payloads: Payload[], exchange: number = ExchangeType.INFORMATIONAL): Uint8Array {
    return this.encrypted(exchange, this.sa!.nextRequestId++, false, payloads);
  }

  deleteIke(): Uint8Array {
    return this.request([deletePayload(ProtocolId.IKE)]);
  }

  deleteChild(): Uint8Array {
    return this.request([deletePayload(ProtocolId.ESP, [this.sa!.espSpiR!])]);
  }

  encrypted(exchange: number, messageId: number, response: boolean, payloads: Payload[]): Uint8Array {
    const sa = this.sa!;
    return encodeMessage({ spiI: sa.spiI, spiR: sa.spiR, exchange, initiator: false, response, messageId, payloads: [], encrypted: payloads }, sa.cipherOut);
  }

  /** The gateway's inbound ESP SA for what the initiator sends (initiator-to-responder keys). */
  espInbound(): EspInboundSa {
    const sa = this.sa!;
    const keys = deriveChildSaKeys(sa.suite.prf, sa.keys.skD, sa.espSuite!, sa.nonceI, sa.nonceR);
    return new EspInboundSa(
      { spi: readU32(sa.espSpiR!, 0), suite: sa.espSuite!, encrKey: keys.initiatorToResponder.encr, integKey: sa.espSuite!.integ ? keys.initiatorToResponder.integ : undefined },
      { random: this.random, drops: new DropCounter(silentLogger()) },
    );
  }

  /** The gateway's outbound ESP SA: what it sends to the initiator (responder-to-initiator keys). */
  espOutbound(): EspOutboundSa {
    const sa = this.sa!;
    const keys = deriveChildSaKeys(sa.suite.prf, sa.keys.skD, sa.espSuite!, sa.nonceI, sa.nonceR);
    return new EspOutboundSa(
      { spi: readU32(sa.espSpiI!, 0), suite: sa.espSuite!, encrKey: keys.responderToInitiator.encr, integKey: sa.espSuite!.integ ? keys.responderToInitiator.integ : undefined },
      { random: this.random, drops: new DropCounter(silentLogger()) },
    );
  }

  private vipBytes(): Uint8Array {
    return Uint8Array.from((this.o.vip ?? '192.0.2.7').split('.').map(Number));
  }

  /** The SPI this gateway gave the last CHILD SA rekey it accepted (the device's new outbound SPI). */
  acceptedRekeySpi: Uint8Array | undefined;

  private acceptChildRekey(msg: IkeMessage, nonceR: Uint8Array): Uint8Array {
    const proposal = findPayload(msg, 'SA')!.proposals[0]!;
    this.acceptedRekeySpi = this.random.bytes(4);
    const ts = msg.encrypted!.filter((p) => p.kind === 'TSi' || p.kind === 'TSr');
    return this.encrypted(msg.exchange, msg.messageId, true, [saPayload([{ ...proposal, spi: this.acceptedRekeySpi }]), noncePayload(nonceR), ...ts]);
  }

  /** Our own rekey of the CHILD SA (RFC 7296 1.3.3), as strongSwan sends it: same suite, no KE. */
  rekeyChildRequest(nonce: Uint8Array = this.random.bytes(32)): { request: Uint8Array; spi: Uint8Array; nonce: Uint8Array } {
    const sa = this.sa!;
    const spi = this.random.bytes(4);
    const vip = this.vipBytes();
    const request = this.request([
      notifyPayload(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, sa.espSpiR!),
      saPayload([{ number: 1, protocolId: ProtocolId.ESP, spi, transforms: proposalTransforms(espSuiteSpec(sa.espSuite!)) }]),
      noncePayload(nonce),
      tsPayload('TSi', [ipv4Selector(Uint8Array.of(198, 51, 100, 0), Uint8Array.of(198, 51, 100, 255))]),
      tsPayload('TSr', [ipv4Selector(vip, vip)]),
    ], ExchangeType.CREATE_CHILD_SA);
    return { request, spi, nonce };
  }

  /** The gateway's inbound ESP SA after its rekey: it initiated, so the initiator sends with the first keys and receives with the second. */
  rekeyedInbound(spi: Uint8Array, nonceI: Uint8Array, nonceR: Uint8Array): EspInboundSa {
    const sa = this.sa!;
    const keys = deriveChildSaKeys(sa.suite.prf, sa.keys.skD, sa.espSuite!, nonceI, nonceR);
    return new EspInboundSa(
      { spi: readU32(spi, 0), suite: sa.espSuite!, encrKey: keys.responderToInitiator.encr, integKey: sa.espSuite!.integ ? keys.responderToInitiator.integ : undefined },
      { random: this.random, drops: new DropCounter(silentLogger()) },
    );
  }

  /** Decodes what the session sent as a response to our request (to check its payloads). */
  decodeResponse(bytes: Uint8Array): IkeMessage {
    const d = decodeMessage(bytes, this.sa!.cipherIn);
    if (!d.ok) throw new Error(d.error.message);
    return d.value.message;
  }

  notify(msg: IkeMessage, type: number): boolean {
    return findNotify(msg, type) !== undefined;
  }
}

/** The first offered proposal with this group, reduced to one transform per type. */
function pickIke(offered: Proposal[], group: number): Proposal {
  for (const p of offered) {
    if (!p.transforms.some((t) => t.type === 4 && t.id === group)) continue;
    const one = p.transforms.filter((t, i, all) => (t.type === 4 ? t.id === group : all.findIndex((u) => u.type === t.type) === i));
    return { ...p, transforms: one };
  }
  throw new Error('fake gateway: no proposal with the KE group');
}
