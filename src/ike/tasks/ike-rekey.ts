/**
 * Rekeying the IKE SA (RFC 7296 1.3.2, 2.18): at ikeLifetime (or at once when the gateway asked)
 * we create the new IKE SA with the suite in use; as the rekey's initiator we stay the original
 * initiator, so the device never switches IKE roles. The old SA is deleted on its own message IDs
 * and its keys zeroed; nothing of it is carried over but SK_d's part in the new SKEYSEED.
 */
import { formatIkeSuite } from '../../crypto/index.ts';
import { toHex } from '../../util/bytes.ts';
import { ExchangeType, type IkeMessage, type Payload } from '../codec/index.ts';
import { nonceLength, type IkeContext } from '../context.ts';
import { failure, type IkeFailure } from '../errors.ts';
import { keyIkeSa, newIkeSa, type IkeSa } from '../ike-sa.ts';
import { done, type Task, type TaskOutcome } from '../task.ts';
import { rekeyFailed } from './child-rekey.ts';
import {
  buildIkeRekeyPayloads, processIkeRekeyResponse, rekeySharedSecret, type IkeRekeyRequest, type IkeRekeyResult, type RekeyFailure,
} from './create-child-sa.ts';
import { newIkeSpi } from './ike-sa-init.ts';

export class IkeRekeyTask implements Task {
  readonly name = 'IKE_REKEY';
  readonly exchange = ExchangeType.CREATE_CHILD_SA;
  private request: IkeRekeyRequest | undefined;
  /** The accepted response, while its shared secret and keys are computed in the turns after it. */
  private accepted: (IkeRekeyResult & { sharedSecret: Uint8Array | undefined }) | undefined;

  constructor(private readonly ctx: IkeContext) {}

  build(sa: IkeSa, now: number): Payload[] {
    const { ctx } = this;
    const suite = sa.suite!;
    this.request = { suite, spiI: newIkeSpi(ctx.random), nonceI: ctx.random.bytes(nonceLength(suite.prf)), keyPair: ctx.keyPair(suite.dh, now) };
    ctx.log.debug('rekeying the IKE SA');
    return buildIkeRekeyPayloads(this.request);
  }

  process(_old: IkeSa, msg: IkeMessage, _raw: Uint8Array, now: number): TaskOutcome {
    const out = processIkeRekeyResponse(this.request!, msg);
    if (out.kind === 'failed') return this.failed(out, now);
    this.accepted = { ...out, sharedSecret: undefined };
    return { kind: 'yield' };
  }

  /**
   * A turn each after the response's: the shared secret, then the new SA's keys (each about a
   * bring-up's longest turn on the device; together they would make one twice as long).
   */
  resume(old: IkeSa, now: number): TaskOutcome {
    const { ctx } = this;
    const request = this.request!;
    const a = this.accepted!;
    if (!a.sharedSecret) {
      const shared = rekeySharedSecret(request.keyPair, a.peerKe, 'IKE SA');
      request.keyPair.wipe();
      if (!(shared instanceof Uint8Array)) return this.failed(shared, now);
      a.sharedSecret = shared;
      return { kind: 'yield' };
    }
    this.accepted = undefined;
    const next = newIkeSa(request.spiI);
    next.natT = old.natT;
    next.mobike = old.mobike;
    next.peerAuthenticated = old.peerAuthenticated; // made inside the authenticated SA (RFC 7296 2.18)
    next.fragmentation = old.fragmentation; // RFC 7383 2.3: inherited by the rekeyed SA
    keyIkeSa(next, { suite: a.suite, spiR: a.spiR, nonceI: request.nonceI, nonceR: a.nonceR, sharedSecret: a.sharedSecret, rekeyOf: old }, ctx.random, ctx.keyLog);
    ctx.log.info(`IKE SA rekeyed (${formatIkeSuite(a.suite)}): ${toHex(next.spiI)}/${toHex(next.spiR)} replaces ${toHex(old.spiI)}/${toHex(old.spiR)}`);
    ctx.emit({ type: 'ike-rekeyed', spiI: toHex(next.spiI), spiR: toHex(next.spiR), previousSpiI: toHex(old.spiI), previousSpiR: toHex(old.spiR) }, now);
    ctx.replaceIkeSa(next, now);
    return done;
  }

  timedOut(): IkeFailure {
    return failure('TIMEOUT', 'gateway stopped answering (CREATE_CHILD_SA)');
  }

  abandon(): void {
    this.request?.keyPair.wipe();
    this.accepted?.sharedSecret?.fill(0);
    this.accepted = undefined;
  }

  private failed(out: RekeyFailure, now: number): TaskOutcome {
    this.request?.keyPair.wipe();
    return rekeyFailed(this.ctx, out, (at) => this.ctx.rekeyIkeAt(at), now);
  }
}
