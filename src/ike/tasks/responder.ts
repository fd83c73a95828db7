/**
 * The gateway's requests on an established IKE SA (RFC 7296 1.3, 1.4, 2.8, 2.25), answered as
 * the responder: liveness checks, DELETEs, CHILD SA rekeys (with collision handling against our own
 * rekey task), and refusals for what one device does not do (a second CHILD SA; an IKE SA rekey by
 * the gateway gets TEMPORARY_FAILURE and we rekey ourselves at once, staying the original initiator).
 */
import { readU32 } from '../../util/bytes.ts';
import { findNotify, notifyName, notifyPayload, NotifyType, ProtocolId, ExchangeType, type IkeMessage } from '../codec/index.ts';
import { nonceLength, type IkeContext } from '../context.ts';
import type { IkeSa } from '../ike-sa.ts';
import type { Answer, TaskManager } from '../task-manager.ts';
import { ChildRekeyTask, lowerNonce, newChild, switchTo } from './child-rekey.ts';
import { acceptGatewayChildRekey, classifyCreateChildSa, gatewayChildRekeyResponse } from './create-child-sa.ts';
import { deleteChildSaPayloads, refuseCreateChildSa, temporaryFailure } from './informational.ts';
import { newEspSpi } from '../child-sa.ts';

export function respond(ctx: IkeContext, msg: IkeMessage, manager: TaskManager, now: number): Answer {
  if (msg.exchange === ExchangeType.INFORMATIONAL) return informational(ctx, msg);
  if (msg.exchange === ExchangeType.CREATE_CHILD_SA) return createChildSa(ctx, msg, manager, now);
  return { payloads: [] };
}

function informational(ctx: IkeContext, msg: IkeMessage): Answer {
  const inner = msg.encrypted ?? [];
  const deletes = inner.filter((p) => p.kind === 'D');
  if (deletes.some((d) => d.protocolId === ProtocolId.IKE)) {
    return { payloads: [], after: (t) => ctx.restart('gateway deleted the IKE SA', false, t) };
  }
  for (const d of deletes) {
    if (d.protocolId !== ProtocolId.ESP) continue;
    const child = d.spis.map((spi) => (spi.length === 4 ? ctx.children.byOutbound(readU32(spi, 0)) : undefined)).find((c) => c !== undefined);
    if (!child) continue;
    const payloads = deleteChildSaPayloads(child.spiIn);
    // A pair a rekey replaced (the gateway initiated it, or won a collision): gone at both ends now.
    if (ctx.children.isRetiring(child)) return { payloads, after: () => ctx.children.retire(child) };
    // One CHILD SA per IKE SA: without it the IKE SA is of no use, so both go and we start over.
    return { payloads, after: (t) => ctx.restart('gateway deleted the CHILD SA', true, t) };
  }
  // A return routability check (RFC 4555 3.8): its COOKIE2 comes back; other notifies (a MOBIKE
  // gateway's ADDITIONAL_*_ADDRESS) and liveness checks get an empty answer.
  const cookie2 = findNotify(msg, NotifyType.COOKIE2);
  if (cookie2 && cookie2.data.length >= 8 && cookie2.data.length <= 64) return { payloads: [notifyPayload(NotifyType.COOKIE2, cookie2.data.slice())] };
  return { payloads: [] };
}

function createChildSa(ctx: IkeContext, msg: IkeMessage, manager: TaskManager, now: number): Answer {
  const kind = classifyCreateChildSa(msg);
  if (kind === 'new-child') {
    ctx.log.info('gateway asked for another CHILD SA: refused (one CHILD SA per IKE SA)');
    return { payloads: refuseCreateChildSa() };
  }
  if (kind === 'rekey-ike') {
    const ours = manager.has('IKE_REKEY');
    ctx.log.info(`gateway asked to rekey the IKE SA: ${ours ? 'ours is under way' : 'rekeying it ourselves now'}`);
    if (!ours) ctx.rekeyIkeAt(now);
    return { payloads: temporaryFailure() };
  }
  return childRekey(ctx, msg, manager.sa, manager.activeTask instanceof ChildRekeyTask ? manager.activeTask : undefined, now);
}

/** The gateway rekeys our CHILD SA: answer with the suite in use; it deletes the old pair afterwards. */
function childRekey(ctx: IkeContext, msg: IkeMessage, sa: IkeSa, ours: ChildRekeyTask | undefined, now: number): Answer {
  const rekeyed = findNotify(msg, NotifyType.REKEY_SA)!;
  const spi = rekeyed.spi.length === 4 ? readU32(rekeyed.spi, 0) : -1;
  const child = ctx.children.byOutbound(spi);
  if (!child) {
    ctx.log.info('gateway asked to rekey a CHILD SA we do not have');
    return { payloads: [notifyPayload(NotifyType.CHILD_SA_NOT_FOUND)] };
  }
  // A pair already replaced and being deleted: the expected answer is TEMPORARY_FAILURE.
  if (child !== ctx.children.current || (ours && ours.old !== child)) return { payloads: temporaryFailure() };
  const accepted = acceptGatewayChildRekey(msg, child.espSuite, ctx.settings.proposals.pfsGroups, child.tsLocal, child.tsRemote);
  if (accepted.kind === 'refuse') {
    ctx.log.warn(`gateway's CHILD SA rekey refused (${notifyName(accepted.notify)}): ${accepted.reason}`);
    return { payloads: [notifyPayload(accepted.notify, accepted.data)] };
  }
  const keyPair = accepted.ke ? ctx.keyPair(accepted.ke.group, now) : undefined;
  const pfsSecret = keyPair?.computeShared(accepted.ke!.data);
  keyPair?.wipe();
  if (keyPair && !pfsSecret) {
    ctx.log.warn(`gateway's CHILD SA rekey refused: invalid ${keyPair.group.name} public value`);
    return { payloads: [notifyPayload(NotifyType.INVALID_SYNTAX)] };
  }
  const spiIn = newEspSpi(ctx.random);
  const nonceR = ctx.random.bytes(nonceLength(sa.suite!.prf));
  const payloads = gatewayChildRekeyResponse(accepted, child.espSuite, spiIn, nonceR, keyPair);
  const suite = { ...child.espSuite, dh: keyPair?.group };
  const result = { suite, espSpiOut: accepted.espSpiOut, virtualIp: child.virtualIp, dns: child.dns, tsi: accepted.tsr, tsr: accepted.tsi };
  const theirs = newChild(ctx, sa, false, accepted.nonceI, nonceR, pfsSecret, spiIn, result);
  if (ours) {
    // Both sides rekey the same SA at once: decided when our own exchange is answered.
    ctx.log.info('CHILD SA rekey collision: the gateway rekeys it too');
    ours.collide(theirs, lowerNonce(accepted.nonceI, nonceR));
    ctx.children.receiveOnly(theirs);
    return { payloads };
  }
  return { payloads, after: (t) => switchTo(ctx, theirs, child, 'gateway', t) };
}
