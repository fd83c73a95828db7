/**
 * Moving the IKE SA to a new link (a new local address, or the same one behind a new NAT mapping)
 * without a new key exchange:
 *   MOBIKE (RFC 4555 3.5), the gateway said MOBIKE_SUPPORTED:
 *     HDR, SK {N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2)}  -->
 *                                     <--  HDR, SK {N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2)}
 *   Without MOBIKE (RFC 7296 2.23): an empty INFORMATIONAL from the new mapping; a gateway that sees
 *   its peer behind a NAT takes the new address and port from any authenticated message.
 * The gateway moves the CHILD SAs with the IKE SA: same SPIs, same keys. Any failure ends in a
 * new IKE SA at once (the session decides), so the quick retransmission below bounds the wait.
 */
import { NATT_PORT } from '../../esp/index.ts';
import { equalBytes } from '../../util/bytes.ts';
import { ExchangeType, findErrorNotify, findNotify, findPayloads, notifyName, notifyPayload, NotifyType, type IkeMessage, type Payload } from '../codec/index.ts';
import type { Endpoint, IkeContext } from '../context.ts';
import { failure, type IkeFailure } from '../errors.ts';
import type { IkeSa } from '../ike-sa.ts';
import { detectNat, natDetectionHash } from '../nat.ts';
import type { RetransmitPolicy } from '../retransmit.ts';
import { done, type Task, type TaskOutcome } from '../task.ts';

/** RFC 4555 3.5: COOKIE2 is 8 to 64 octets. */
const COOKIE2_LENGTH = 8;

/** Three tries over 7 s: a gateway that forgot the SA (restarted, or its DPD gave up) costs little before the new IKE SA. */
export const ADDRESS_UPDATE_RETRANSMIT: RetransmitPolicy = Object.freeze({ firstTimeoutMs: 1000, tries: 3, factor: 2 });

export class AddressUpdateTask implements Task {
  readonly name = 'ADDRESS_UPDATE';
  readonly exchange = ExchangeType.INFORMATIONAL;
  readonly retransmit = ADDRESS_UPDATE_RETRANSMIT;
  private cookie2: Uint8Array | undefined;

  /** `moved`: the update is answered and the gateway sends to the new mapping (the session resumes traffic). */
  constructor(private readonly ctx: IkeContext, private readonly moved: (now: number) => void) {}

  build(sa: IkeSa): Payload[] {
    if (!sa.mobike) return [];
    const { ctx } = this;
    const [local, remote] = endpoints(ctx, sa);
    this.cookie2 = ctx.random.bytes(COOKIE2_LENGTH);
    return [
      notifyPayload(NotifyType.UPDATE_SA_ADDRESSES),
      // Fresh NAT-D over the SA's SPIs: the gateway learns whether this new path has a NAT (RFC 4555 3.5).
      notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, ctx.forceEncap ? ctx.random.bytes(20) : natDetectionHash(sa.spiI, sa.spiR, local.address, local.port)),
      notifyPayload(NotifyType.NAT_DETECTION_DESTINATION_IP, natDetectionHash(sa.spiI, sa.spiR, remote.address, remote.port)),
      notifyPayload(NotifyType.COOKIE2, this.cookie2),
    ];
  }

  process(sa: IkeSa, msg: IkeMessage, _raw: Uint8Array, now: number): TaskOutcome {
    const error = findErrorNotify(msg);
    if (error) return { kind: 'failed', failure: failure('GATEWAY_ERROR', `gateway refused the address update: ${notifyName(error.notifyType)}`), deleteSa: true };
    if (sa.mobike) {
      const echoed = findNotify(msg, NotifyType.COOKIE2);
      if (!echoed || !equalBytes(echoed.data, this.cookie2!)) return { kind: 'failed', failure: failure('PROTOCOL_ERROR', 'address update answered without our COOKIE2'), deleteSa: true };
      const sources = findPayloads(msg, 'N').filter((n) => n.notifyType === NotifyType.NAT_DETECTION_SOURCE_IP).map((n) => n.data);
      const [local, remote] = endpoints(this.ctx, sa);
      const nat = detectNat(sa.spiI, sa.spiR, local, remote, sources, findNotify(msg, NotifyType.NAT_DETECTION_DESTINATION_IP)?.data);
      // Our CHILD SAs keep their encapsulation: a path that would need the other one needs new SAs.
      const natT = this.ctx.forceEncap || (nat !== undefined && (nat.localBehindNat || nat.remoteBehindNat));
      if (nat && natT !== sa.natT) return { kind: 'failed', failure: failure('PROTOCOL_ERROR', `the new path ${natT ? 'has' : 'has no'} NAT: ESP encapsulation must change`), deleteSa: true };
    }
    this.moved(now);
    return done;
  }

  timedOut(): IkeFailure {
    return failure('TIMEOUT', 'no answer to the address update from the new link (the gateway no longer holds the IKE SA?)');
  }

  abandon(): void {
    this.cookie2 = undefined;
  }
}

/** The ports this message travels between: 4500 at both ends once NAT-T floated (RFC 7296 2.23). */
function endpoints(ctx: IkeContext, sa: IkeSa): [Endpoint, Endpoint] {
  if (!sa.natT) return [ctx.local, ctx.remote];
  return [{ address: ctx.local.address, port: NATT_PORT }, { address: ctx.remote.address, port: NATT_PORT }];
}
