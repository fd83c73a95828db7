/**
 * Rekeying of an established IKE SA and its CHILD SA, make-before-break (RFC 7296 1.3.2, 1.3.3, 2.8):
 * - at childLifetime we rekey the CHILD SA and delete the pair it replaced; the gateway's own CHILD
 *   SA rekeys are answered, and one that crosses ours is settled by the lowest nonce (2.8.1);
 * - at ikeLifetime we rekey the IKE SA and delete the old one. The gateway's IKE SA rekey gets
 *   TEMPORARY_FAILURE (2.25) and we rekey at once, so we stay the original initiator of every IKE SA;
 * - TEMPORARY_FAILURE to ours: try again shortly; any other refusal: a fresh IKE SA (restart).
 * The session owns the wire; this part decides what to send and which SAs to use.
 */
import { formatIkeSuite, type DhGroup } from '../crypto/index.ts';
import { hexSpi } from '../esp/index.ts';
import { readU32, toHex, u32ToBytes } from '../util/bytes.ts';
import { buildChildSa, describeChildSa, newEspSpi, type ChildSa } from './child-sa.ts';
import type { ChildSaSet } from './child-sa-set.ts';
import { findNotify, notifyName, notifyPayload, NotifyType, type IkeHeader, type IkeMessage, type Payload } from './codec/index.ts';
import { rekeyedIkeSa, type IkeSa } from './ike-sa.ts';
import type { IkeEvent, IkeSessionConfig, IkeSessionDeps } from './session-types.ts';
import {
  acceptGatewayChildRekey, buildChildRekeyPayloads, buildIkeRekeyPayloads, classifyCreateChildSa, gatewayChildRekeyResponse, newChildRekey,
  newIkeRekey, processChildRekeyResponse, processIkeRekeyResponse, type ChildRekeyRequest, type IkeRekeyRequest, type RekeyFailure,
} from './tasks/create-child-sa.ts';
import type { ChildSaResult } from './tasks/ike-auth.ts';
import { NONCE_LENGTH } from './tasks/ike-sa-init.ts';
import { refuseCreateChildSa, temporaryFailure } from './tasks/informational.ts';
import type { DropCounter } from '../util/log.ts';

/** After the gateway answers a rekey with TEMPORARY_FAILURE (it is busy, e.g. rekeying itself). */
const REKEY_RETRY_MS = 3000;

/** What rekeying needs from the session: the current IKE SA and ways to send on it. */
export interface RekeyContext {
  readonly config: IkeSessionConfig;
  readonly deps: IkeSessionDeps & { espDrops: DropCounter };
  readonly children: ChildSaSet;
  /** The DH groups of espProposals: CHILD SA rekeys use PFS exactly when there are any. */
  readonly pfsGroups: readonly DhGroup[];
  sa(): IkeSa;
  replaceSa(sa: IkeSa): void;
  /** Outer addresses, for key-log entries. */
  addresses(): { local: string; gateway: string };
  /** Our CREATE_CHILD_SA request on the current IKE SA; its response comes back to onResponse. */
  request(purpose: 'rekey-child' | 'rekey-ike', payloads: Payload[], now: number): void;
  deleteChild(child: ChildSa, now: number): void;
  deleteIkeSa(old: IkeSa, now: number): void;
  answer(h: IkeHeader, payloads: Payload[], now: number): void;
  /** Give up on this IKE SA and establish a new one. */
  restart(now: number, reason: string): void;
  emit(ev: IkeEvent): void;
}

export class Rekeying {
  private ikeRekeyAt: number | undefined;
  private childRekeyAt: number | undefined;
  private ikeRekey: IkeRekeyRequest | undefined;
  private childRekey: ChildRekeyRequest | undefined;
  /** The gateway's rekey of the same CHILD SA that crossed ours, until ours is answered. */
  private collision: { child: ChildSa; lowerNonce: Uint8Array } | undefined;
  /** The KE group of our CHILD SA rekeys (the gateway may name another of ours: INVALID_KE_PAYLOAD). */
  private pfsGroup: DhGroup | undefined;

  constructor(private readonly ctx: RekeyContext) {
    this.pfsGroup = ctx.pfsGroups[0];
  }

  /** The IKE SA and its CHILD SA just came up. */
  established(now: number): void {
    this.reset();
    this.ikeRekeyAt = lifetimeEnd(now, this.ctx.config.ikeLifetime);
    this.childRekeyAt = lifetimeEnd(now, this.ctx.config.childLifetime);
  }

  reset(): void {
    this.ikeRekeyAt = this.childRekeyAt = undefined;
    this.ikeRekey = this.childRekey = undefined;
    this.collision = undefined;
  }

  /** When the next rekey of ours is due (the session starts it only with no request outstanding). */
  deadline(): number | undefined {
    if (this.ikeRekeyAt === undefined) return this.childRekeyAt;
    return this.childRekeyAt === undefined ? this.ikeRekeyAt : Math.min(this.ikeRekeyAt, this.childRekeyAt);
  }

  /** Starts a due rekey; the caller has no request outstanding. */
  onTimer(now: number): void {
    if (this.ikeRekeyAt !== undefined && now >= this.ikeRekeyAt) this.startIkeRekey(now);
    else if (this.childRekeyAt !== undefined && now >= this.childRekeyAt) this.startChildRekey(now);
  }

  onResponse(purpose: 'rekey-child' | 'rekey-ike', msg: IkeMessage, now: number): void {
    if (purpose === 'rekey-child') this.onChildRekeyResponse(msg, now);
    else this.onIkeRekeyResponse(msg, now);
  }

  /** The gateway's CREATE_CHILD_SA request. */
  answerCreateChildSa(h: IkeHeader, msg: IkeMessage, now: number): void {
    const kind = classifyCreateChildSa(msg);
    if (kind === 'new-child') {
      this.ctx.deps.log.info('gateway asked for another CHILD SA: refused (one CHILD SA per IKE SA)');
      return this.ctx.answer(h, refuseCreateChildSa(), now);
    }
    if (kind === 'rekey-child') return this.answerChildRekey(h, msg, now);
    this.ctx.answer(h, temporaryFailure(), now);
    this.ctx.deps.log.info(`gateway asked to rekey the IKE SA: ${this.ikeRekey ? 'ours is under way' : 'rekeying it ourselves now'}`);
    if (!this.ikeRekey) this.ikeRekeyAt = now;
  }

  // ---- CHILD SA ----

  private startChildRekey(now: number): void {
    const child = this.ctx.children.current!;
    this.childRekeyAt = undefined;
    const random = this.ctx.deps.random;
    this.childRekey = newChildRekey(random, child.espSuite, u32ToBytes(child.spiIn), newEspSpi(random), child.tsLocal, child.tsRemote, this.pfsGroup);
    this.ctx.deps.log.debug(`rekeying the CHILD SA ${describeChildSa(child)}`);
    this.ctx.request('rekey-child', buildChildRekeyPayloads(this.childRekey), now);
  }

  private onChildRekeyResponse(msg: IkeMessage, now: number): void {
    const { children, deps } = this.ctx;
    const request = this.childRekey!;
    // (If the gateway already deleted its crossing replacement, it has decided for ours.)
    const collision = this.collision && children.isRetiring(this.collision.child) ? this.collision : undefined;
    this.childRekey = this.collision = undefined;
    const out = processChildRekeyResponse(request, msg);
    const old = children.current!;
    if (out.kind === 'failed') {
      // The gateway's crossing rekey succeeded: it is the replacement, and the gateway deletes the old pair.
      if (collision) return this.switchTo(collision.child, old, 'gateway', now);
      return this.failed(out, 'child', now);
    }
    const ours = this.newChild(true, request.nonceI, out.nonceR, out.pfsSecret, request.newSpiIn, { ...out, virtualIp: old.virtualIp, dns: old.dns });
    if (collision && compareNonces(lowerNonce(request.nonceI, out.nonceR), collision.lowerNonce) < 0) {
      // RFC 7296 2.8.1: the SA whose exchange holds the lowest nonce is redundant; its creator (us) deletes it.
      deps.log.info("CHILD SA rekey collision: the gateway's replacement wins, deleting ours");
      this.switchTo(collision.child, old, 'gateway', now);
      children.receiveOnly(ours);
      return this.ctx.deleteChild(ours, now);
    }
    if (collision) {
      deps.log.info('CHILD SA rekey collision: ours wins, the gateway deletes its replacement');
      children.receiveOnly(collision.child);
    }
    this.switchTo(ours, old, 'device', now);
    // The initiator of the winning rekey deletes the SA it replaced (RFC 7296 1.3.3).
    this.ctx.deleteChild(old, now);
  }

  /** The gateway rekeys our CHILD SA: answer with the suite in use; it deletes the old pair afterwards. */
  private answerChildRekey(h: IkeHeader, msg: IkeMessage, now: number): void {
    const { children, deps } = this.ctx;
    const rekeyed = findNotify(msg, NotifyType.REKEY_SA)!;
    const spi = rekeyed.spi.length === 4 ? readU32(rekeyed.spi, 0) : -1;
    const child = children.all().find((c) => c.spiOut === spi);
    if (!child) {
      deps.log.info('gateway asked to rekey a CHILD SA we do not have');
      return this.ctx.answer(h, [notifyPayload(NotifyType.CHILD_SA_NOT_FOUND)], now);
    }
    // A pair already replaced and being deleted: the expected answer is TEMPORARY_FAILURE.
    if (child !== children.current || this.collision) return this.ctx.answer(h, temporaryFailure(), now);
    const accepted = acceptGatewayChildRekey(msg, child.espSuite, this.ctx.pfsGroups, child.tsLocal, child.tsRemote);
    if (accepted.kind === 'refuse') {
      deps.log.warn(`gateway's CHILD SA rekey refused (${notifyName(accepted.notify)}): ${accepted.reason}`);
      return this.ctx.answer(h, [notifyPayload(accepted.notify, accepted.data)], now);
    }
    const keyPair = accepted.ke?.group.generate(deps.random);
    const pfsSecret = keyPair?.computeShared(accepted.ke!.data);
    if (keyPair && !pfsSecret) {
      deps.log.warn(`gateway's CHILD SA rekey refused: invalid ${keyPair.group.name} public value`);
      return this.ctx.answer(h, [notifyPayload(NotifyType.INVALID_SYNTAX)], now);
    }
    const spiIn = newEspSpi(deps.random);
    const nonceR = deps.random.bytes(NONCE_LENGTH);
    this.ctx.answer(h, gatewayChildRekeyResponse(accepted, child.espSuite, spiIn, nonceR, keyPair), now);
    const suite = { ...child.espSuite, dh: keyPair?.group };
    const result = { suite, espSpiOut: accepted.espSpiOut, virtualIp: child.virtualIp, dns: child.dns, tsi: accepted.tsr, tsr: accepted.tsi };
    const theirs = this.newChild(false, accepted.nonceI, nonceR, pfsSecret, spiIn, result);
    if (this.childRekey) {
      // Both sides rekey the same SA at once: decided when our own exchange is answered.
      deps.log.info('CHILD SA rekey collision: the gateway rekeys it too');
      this.collision = { child: theirs, lowerNonce: lowerNonce(accepted.nonceI, nonceR) };
      children.receiveOnly(theirs);
      return;
    }
    this.switchTo(theirs, child, 'gateway', now);
  }

  private newChild(initiator: boolean, nonceI: Uint8Array, nonceR: Uint8Array, pfsSecret: Uint8Array | undefined, spiIn: Uint8Array, result: ChildSaResult): ChildSa {
    const sa = this.ctx.sa();
    const { local, gateway } = this.ctx.addresses();
    const { random, espDrops, keyLog } = this.ctx.deps;
    return buildChildSa(
      { initiator, prf: sa.suite.prf, skD: sa.keys.skD, nonceI, nonceR, pfsSecret, spiIn, result, udpEncap: sa.natT, localAddress: local, gateway },
      { random, drops: espDrops, keyLog },
    );
  }

  /** Make-before-break: `child` carries everything sent from now on; `old` only receives until deleted. */
  private switchTo(child: ChildSa, old: ChildSa, by: 'device' | 'gateway', now: number): void {
    this.ctx.children.use(child);
    this.childRekeyAt = lifetimeEnd(now, this.ctx.config.childLifetime);
    this.ctx.deps.log.info(`CHILD SA rekeyed by ${by === 'device' ? 'us' : 'the gateway'}: ${describeChildSa(child)} replaces in ${hexSpi(old.spiIn)} out ${hexSpi(old.spiOut)}`);
    this.ctx.emit({ type: 'child-rekeyed', espSpiIn: child.spiIn, espSpiOut: child.spiOut, previousSpiIn: old.spiIn, previousSpiOut: old.spiOut, by });
  }

  // ---- IKE SA ----

  private startIkeRekey(now: number): void {
    this.ikeRekeyAt = undefined;
    this.ikeRekey = newIkeRekey(this.ctx.deps.random, this.ctx.sa().suite);
    this.ctx.deps.log.debug('rekeying the IKE SA');
    this.ctx.request('rekey-ike', buildIkeRekeyPayloads(this.ikeRekey), now);
  }

  private onIkeRekeyResponse(msg: IkeMessage, now: number): void {
    const request = this.ikeRekey!;
    this.ikeRekey = undefined;
    const out = processIkeRekeyResponse(request, msg);
    if (out.kind === 'failed') return this.failed(out, 'ike', now);
    const old = this.ctx.sa();
    const { random, keyLog } = this.ctx.deps;
    const sa = rekeyedIkeSa(old, out.suite, request.spiI, out.spiR, request.nonceI, out.nonceR, out.sharedSecret, random, keyLog);
    this.ctx.replaceSa(sa);
    this.ikeRekeyAt = lifetimeEnd(now, this.ctx.config.ikeLifetime);
    this.ctx.deps.log.info(`IKE SA rekeyed (${formatIkeSuite(sa.suite)}): ${toHex(sa.spiI)}/${toHex(sa.spiR)} replaces ${toHex(old.spiI)}/${toHex(old.spiR)}`);
    this.ctx.emit({ type: 'ike-rekeyed', spiI: toHex(sa.spiI), spiR: toHex(sa.spiR), previousSpiI: toHex(old.spiI), previousSpiR: toHex(old.spiR) });
    this.ctx.deleteIkeSa(old, now);
  }

  private failed(out: RekeyFailure, what: 'ike' | 'child', now: number): void {
    const { cause, detail } = out.failure;
    const group = what === 'child' ? this.ctx.pfsGroups.find((g) => g.id === out.group) : undefined;
    if (group && group !== this.pfsGroup) {
      this.ctx.deps.log.info(`${detail}: trying again with KE ${group.name}`);
      this.pfsGroup = group;
      this.childRekeyAt = now;
      return;
    }
    if (out.temporary) {
      this.ctx.deps.log.info(`${detail}: trying again in ${REKEY_RETRY_MS / 1000} s`);
      if (what === 'ike') this.ikeRekeyAt = now + REKEY_RETRY_MS;
      else this.childRekeyAt = now + REKEY_RETRY_MS;
      return;
    }
    this.ctx.deps.log.warn(`rekey failed: ${cause}: ${detail}`);
    this.ctx.restart(now, `rekey failed (${cause}): re-establishing`);
  }
}

/** Nonces compared as unsigned big-endian numbers over their common length, then by length. */
function compareNonces(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const lowerNonce = (a: Uint8Array, b: Uint8Array): Uint8Array => (compareNonces(a, b) <= 0 ? a : b);

export function lifetimeEnd(now: number, seconds: number): number | undefined {
  return seconds > 0 ? now + seconds * 1000 : undefined;
}
