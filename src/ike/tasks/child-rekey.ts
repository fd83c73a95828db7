/**
 * Rekeying the CHILD SA, make-before-break (RFC 7296 1.3.3, 2.8): at childLifetime (or when its
 * ESP SAs carried their volume) we create a new pair, switch outbound traffic to it, and delete
 * the old one; its inbound SA keeps receiving until that DELETE is answered. The gateway's rekey
 * of the same pair may cross ours: the exchange with the lowest nonce made the redundant pair and
 * its creator deletes it (2.8.1). TEMPORARY_FAILURE: try again shortly; INVALID_KE_PAYLOAD naming
 * another group of ours: try again with it; any other refusal: a fresh IKE SA.
 */
import { hexSpi } from '../../esp/index.ts';
import { u32ToBytes } from '../../util/bytes.ts';
import { buildChildSa, describeChildSa, newEspSpi, type ChildSa, type ChildSaResult } from '../child-sa.ts';
import { ExchangeType, type IkeMessage, type Payload } from '../codec/index.ts';
import { nonceLength, type IkeContext } from '../context.ts';
import { failure, type IkeFailure } from '../errors.ts';
import type { IkeSa } from '../ike-sa.ts';
import { done, type Task, type TaskOutcome } from '../task.ts';
import {
  buildChildRekeyPayloads, processChildRekeyResponse, rekeySharedSecret, type ChildRekeyRequest, type ChildRekeyResult, type RekeyFailure,
} from './create-child-sa.ts';
import { deleteChildSaPayloads } from './informational.ts';

/** After the gateway answers a rekey with TEMPORARY_FAILURE (it is busy, e.g. rekeying itself). */
export const REKEY_RETRY_MS = 3000;

/** A refused or failed rekey: a temporary refusal is tried again (`again`) later; anything else ends the IKE SA. */
export function rekeyFailed(ctx: IkeContext, out: RekeyFailure, again: (at: number) => void, now: number): TaskOutcome {
  if (out.temporary) {
    ctx.log.info(`${out.failure.detail}: trying again in ${REKEY_RETRY_MS / 1000} s`);
    again(now + REKEY_RETRY_MS);
    return done;
  }
  ctx.log.warn(`rekey failed: ${out.failure.cause}: ${out.failure.detail}`);
  return { kind: 'failed', failure: out.failure, deleteSa: true };
}

export class ChildRekeyTask implements Task {
  readonly name = 'CHILD_REKEY';
  readonly exchange = ExchangeType.CREATE_CHILD_SA;
  private request: ChildRekeyRequest | undefined;
  /** The gateway's rekey of the same pair that crossed ours, until ours is answered. */
  private collision: { child: ChildSa; lowerNonce: Uint8Array } | undefined;
  /** A PFS response, while its shared secret and keys are computed in the turns after it. */
  private accepted: { out: ChildRekeyResult; pfsSecret: Uint8Array | undefined } | undefined;

  /** The pair being replaced: the current one when the request goes out. */
  old!: ChildSa;

  constructor(private readonly ctx: IkeContext) {}

  build(sa: IkeSa, now: number): Payload[] {
    const { ctx } = this;
    const old = (this.old = ctx.children.current!);
    const pfs = ctx.pfsGroup;
    this.request = {
      suite: old.espSuite, oldSpiIn: u32ToBytes(old.spiIn), newSpiIn: newEspSpi(ctx.random),
      nonceI: ctx.random.bytes(nonceLength(sa.suite!.prf)), keyPair: pfs ? ctx.keyPair(pfs, now) : undefined, tsi: old.tsLocal, tsr: old.tsRemote,
    };
    ctx.log.debug(`rekeying the CHILD SA ${describeChildSa(old)}`);
    return buildChildRekeyPayloads(this.request);
  }

  /** The gateway rekeys the same pair while ours is out (its half settled by the responder). */
  collide(theirs: ChildSa, lowerNonce: Uint8Array): void {
    this.collision = { child: theirs, lowerNonce };
  }

  process(sa: IkeSa, msg: IkeMessage, _raw: Uint8Array, now: number): TaskOutcome {
    const out = processChildRekeyResponse(this.request!, msg);
    if (out.kind === 'failed') return this.refused(out, now);
    if (!out.peerKe) return this.finish(sa, out, undefined, now);
    // PFS: the shared secret and the new pair's keys follow, a turn each (each about a bring-up's longest).
    this.accepted = { out, pfsSecret: undefined };
    return { kind: 'yield' };
  }

  resume(sa: IkeSa, now: number): TaskOutcome {
    const request = this.request!;
    const a = this.accepted!;
    if (!a.pfsSecret) {
      const secret = rekeySharedSecret(request.keyPair!, a.out.peerKe!, 'CHILD SA');
      if (!(secret instanceof Uint8Array)) {
        this.accepted = undefined;
        return this.refused(secret, now);
      }
      request.keyPair!.wipe();
      a.pfsSecret = secret;
      return { kind: 'yield' };
    }
    this.accepted = undefined;
    return this.finish(sa, a.out, a.pfsSecret, now);
  }

  /** The gateway's crossing rekey of the same pair, if it still stands (a gateway that deleted it has decided for ours). */
  private takeCollision(): { child: ChildSa; lowerNonce: Uint8Array } | undefined {
    const collision = this.collision && this.ctx.children.isRetiring(this.collision.child) ? this.collision : undefined;
    this.collision = undefined;
    return collision;
  }

  private refused(out: RekeyFailure, now: number): TaskOutcome {
    const { ctx, old } = this;
    this.request?.keyPair?.wipe();
    const collision = this.takeCollision();
    // The gateway's crossing rekey succeeded: it is the replacement, and the gateway deletes the old pair.
    if (collision) {
      switchTo(ctx, collision.child, old, 'gateway', now);
      return done;
    }
    const group = ctx.settings.proposals.pfsGroups.find((g) => g.id === out.group);
    if (group && group !== ctx.pfsGroup) {
      ctx.log.info(`${out.failure.detail}: trying again with KE ${group.name}`);
      ctx.pfsGroup = group;
      ctx.rekeyChildAt(now);
      return done;
    }
    return rekeyFailed(ctx, out, (at) => ctx.rekeyChildAt(at), now);
  }

  private finish(sa: IkeSa, out: ChildRekeyResult, pfsSecret: Uint8Array | undefined, now: number): TaskOutcome {
    const { ctx, old } = this;
    const request = this.request!;
    const children = ctx.children;
    const collision = this.takeCollision();
    const ours = newChild(ctx, sa, true, request.nonceI, out.nonceR, pfsSecret, request.newSpiIn, { ...out, virtualIp: old.virtualIp, dns: old.dns });
    if (collision && compareNonces(lowerNonce(request.nonceI, out.nonceR), collision.lowerNonce) < 0) {
      // RFC 7296 2.8.1: the SA whose exchange holds the lowest nonce is redundant; its creator (us) deletes it.
      ctx.log.info("CHILD SA rekey collision: the gateway's replacement wins, deleting ours");
      switchTo(ctx, collision.child, old, 'gateway', now);
      children.receiveOnly(ours);
      ctx.queue(new ChildDeleteTask(ctx, ours), now);
      return done;
    }
    if (collision) {
      ctx.log.info('CHILD SA rekey collision: ours wins, the gateway deletes its replacement');
      children.receiveOnly(collision.child);
    }
    switchTo(ctx, ours, old, 'device', now);
    // The initiator of the winning rekey deletes the SA it replaced (RFC 7296 1.3.3).
    ctx.queue(new ChildDeleteTask(ctx, old), now);
    return done;
  }

  timedOut(): IkeFailure {
    return failure('TIMEOUT', 'gateway stopped answering (CREATE_CHILD_SA)');
  }

  abandon(): void {
    this.request?.keyPair?.wipe();
    this.accepted?.pfsSecret?.fill(0);
    this.accepted = undefined;
  }
}

/** DELETE of a CHILD SA pair we created or replaced (RFC 7296 1.4.1); its inbound SA goes when answered. */
export class ChildDeleteTask implements Task {
  readonly name = 'CHILD_DELETE';
  readonly exchange = ExchangeType.INFORMATIONAL;

  constructor(private readonly ctx: IkeContext, readonly child: ChildSa) {}

  build(): Payload[] {
    return deleteChildSaPayloads(this.child.spiIn);
  }

  process(): TaskOutcome {
    this.ctx.children.retire(this.child);
    return done;
  }

  timedOut(): IkeFailure {
    return failure('TIMEOUT', 'gateway stopped answering (INFORMATIONAL)');
  }

  abandon(): void {}
}

/** A pair keyed from this IKE SA's SK_d (RFC 7296 2.17). */
export function newChild(
  ctx: IkeContext, sa: IkeSa, initiator: boolean, nonceI: Uint8Array, nonceR: Uint8Array, pfsSecret: Uint8Array | undefined, spiIn: Uint8Array, result: ChildSaResult,
): ChildSa {
  const child = buildChildSa(
    { initiator, prf: sa.suite!.prf, skD: sa.keys!.skD, nonceI, nonceR, pfsSecret, spiIn, result, udpEncap: sa.natT, localAddress: ctx.local.address, gateway: ctx.remote.address },
    { random: ctx.random, drops: ctx.espDrops, keyLog: ctx.keyLog },
  );
  pfsSecret?.fill(0);
  return child;
}

/** Make-before-break: `child` carries everything sent from now on; `old` only receives until deleted. */
export function switchTo(ctx: IkeContext, child: ChildSa, old: ChildSa, by: 'device' | 'gateway', now: number): void {
  ctx.children.use(child, now);
  ctx.rekeyChildAt(ctx.settings.childLifetimeMs > 0 ? now + ctx.settings.childLifetimeMs : undefined);
  ctx.log.info(`CHILD SA rekeyed by ${by === 'device' ? 'us' : 'the gateway'}: ${describeChildSa(child)} replaces in ${hexSpi(old.spiIn)} out ${hexSpi(old.spiOut)}`);
  ctx.emit({ type: 'child-rekeyed', espSpiIn: child.spiIn, espSpiOut: child.spiOut, previousSpiIn: old.spiIn, previousSpiOut: old.spiOut, by }, now);
}

/** Nonces compared as unsigned big-endian numbers over their common length, then by length. */
function compareNonces(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export const lowerNonce = (a: Uint8Array, b: Uint8Array): Uint8Array => (compareNonces(a, b) <= 0 ? a : b);
