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
import { REKEY_RETRY_MS } from './child-rekey.ts';
import { buildIkeRekeyPayloads, processIkeRekeyResponse, type IkeRekeyRequest } from './create-child-sa.ts';
import { newIkeSpi } from './ike-sa-init.ts';

export class IkeRekeyTask implements Task {
  readonly name = 'IKE_REKEY';
  readonly exchange = ExchangeType.CREATE_CHILD_SA;
  private request: IkeRekeyRequest | undefined;

  constructor(private readonly ctx: IkeContext) {}

  build(sa: IkeSa): Payload[] {
    const { ctx } = this;
    const suite = sa.suite!;
    this.request = { suite, spiI: newIkeSpi(ctx.random), nonceI: ctx.random.bytes(nonceLength(suite.prf)), keyPair: ctx.keyPair(suite.dh) };
    ctx.log.debug('rekeying the IKE SA');
    return buildIkeRekeyPayloads(this.request);
  }

  process(old: IkeSa, msg: IkeMessage, _raw: Uint8Array, now: number): TaskOutcome {
    const { ctx } = this;
    const request = this.request!;
    const out = processIkeRekeyResponse(request, msg);
    request.keyPair.wipe();
    if (out.kind === 'failed') {
      if (out.temporary) {
        ctx.log.info(`${out.failure.detail}: trying again in ${REKEY_RETRY_MS / 1000} s`);
        ctx.rekeyIkeAt(now + REKEY_RETRY_MS);
        return done;
      }
      ctx.log.warn(`rekey failed: ${out.failure.cause}: ${out.failure.detail}`);
      return { kind: 'failed', failure: out.failure, deleteSa: true };
    }
    const next = newIkeSa(request.spiI);
    next.natT = old.natT;
    keyIkeSa(next, { suite: out.suite, spiR: out.spiR, nonceI: request.nonceI, nonceR: out.nonceR, sharedSecret: out.sharedSecret, rekeyOf: old }, ctx.random, ctx.keyLog);
    ctx.log.info(`IKE SA rekeyed (${formatIkeSuite(out.suite)}): ${toHex(next.spiI)}/${toHex(next.spiR)} replaces ${toHex(old.spiI)}/${toHex(old.spiR)}`);
    ctx.emit({ type: 'ike-rekeyed', spiI: toHex(next.spiI), spiR: toHex(next.spiR), previousSpiI: toHex(old.spiI), previousSpiR: toHex(old.spiR) }, now);
    ctx.replaceIkeSa(next, now);
    return done;
  }

  timedOut(): IkeFailure {
    return failure('TIMEOUT', 'gateway stopped answering (CREATE_CHILD_SA)');
  }

  abandon(): void {
    this.request?.keyPair.wipe();
  }
}
