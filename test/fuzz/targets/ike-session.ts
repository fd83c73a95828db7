/**
 * An established IkeSession (test/unit/ike-session-rig.ts, with the fake gateway) fed what the
 * gateway really sends on that SA — its requests (liveness, notifies, CHILD SA and IKE SA rekeys,
 * a second CHILD SA, DELETEs, odd payloads) and its responses to the session's own requests (DPD,
 * CHILD SA rekey, DELETE) — each as sent, mutated before the ICV (header and SK header fields:
 * message IDs, exchange types, flags, lengths; bit flips anywhere), sealed after corrupting its
 * plaintext (authentic but malformed inside), sealed under another message ID, exchange or flag,
 * replayed, sent unprotected, or replaced by noise carrying the SA's SPIs.
 *
 * Must hold: nothing thrown; an input that is not authentic (anything but what the gateway sealed
 * for this moment) leaves the session established on the same IKE SA and CHILD SA, with no event;
 * after anything authentic the session is, or gets, established again with the gateway.
 */
import type { ChildSa } from '../../../src/ike/child-sa.ts';
import {
  decodeMessage, encodeMessage, ExchangeType, ipv4Selector, kePayload, noncePayload, notifyPayload, NotifyType, ProtocolId, proposals, saPayload,
  tsPayload, type Payload,
} from '../../../src/ike/codec/index.ts';
import { DpdTask } from '../../../src/ike/tasks/informational.ts';
import { concatBytes, equalBytes, readU32, u32ToBytes } from '../../../src/util/bytes.ts';
import { Rig } from '../../unit/ike-session-rig.ts';
import { hex, mutate, noise, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { corrupting, samplePayloads } from './ike-codec.ts';

const IKE_SUITES = [
  'aes128gcm16-prfsha256-x25519', 'aes128-sha256-prfsha256-x25519', 'chacha20poly1305-prfsha256-x25519', 'aes256gcm16-prfsha384-x25519',
  // Issue 22: the new integrity/PRF/cipher paths (SK payloads under HMAC-SHA2-384/512 and SHA-1, AES-192).
  // Their KE group stays x25519: with noble in Node an ecp256 rekey nears the 50 ms, ecp384/521 pass it, and
  // MODP2048 passes the 4 MB per input; the unit vectors feed those groups bad peer values instead.
  'aes256-sha384-x25519', 'aes192-sha512-x25519', 'aes128-sha1-x25519', 'aes192gcm16-prfsha512-x25519',
];
const ESP_SUITES = ['aes128gcm16', 'aes128-sha256', 'chacha20poly1305', 'aes256-sha384', 'aes192-sha512', 'aes128-sha1', 'aes192gcm16'];

interface SessionState {
  rig: Rig;
  rand: Rand;
  /** The session's request the gateway has not answered, as the gateway received it. */
  outstanding: Uint8Array | undefined;
  /** Authentic datagrams the session took before, for replays. */
  delivered: Uint8Array[];
  reestablished: number;
}

type Kind = 'request' | 'response' | 'unprotected' | 'noise' | 'time' | 'provoke';
type Form = 'as sent' | 'mutated before the ICV' | 'corrupt inside' | 'resealed' | 'replayed';

interface SessionInput {
  kind: Kind;
  form?: Form;
  /** The datagram's UDP payload (on 'nat-t' with its non-ESP marker or what stands for it). */
  bytes: Uint8Array;
  port: 'ike' | 'nat-t';
  advance: number;
  provoke?: 'dpd' | 'child-rekey' | 'relink';
  /** Exactly what the gateway sealed for now: it may change the session. */
  authentic: boolean;
  what: string;
  /** The session's SAs before the input (set by feed). */
  before?: { spiI: Uint8Array; spiR: Uint8Array; child: ChildSa | undefined; events: number };
}

/** What a forger can reach without the keys: the IKE header and the SK payload's generic header. */
const HEADER_FIELDS: Field[] = [
  { at: 16, size: 1 }, { at: 17, size: 1 }, { at: 18, size: 1 }, { at: 19, size: 1 }, { at: 20, size: 4 }, { at: 24, size: 4 },
  { at: 28, size: 1 }, { at: 29, size: 1 }, { at: 30, size: 2 },
];

interface Request {
  exchange: number;
  payloads: Payload[];
  what: string;
}

/** A request of the kinds a gateway sends on an established IKE SA. */
function gatewayRequest(rand: Rand, s: SessionState): Request {
  const child = s.rig.child;
  const spiOut = child ? u32ToBytes(child.spiOut) : rand.bytes(4);
  const ts = (): Payload[] => [
    tsPayload('TSi', [ipv4Selector(Uint8Array.of(198, 51, 100, 0), Uint8Array.of(198, 51, 100, 255))]),
    tsPayload('TSr', [ipv4Selector(Uint8Array.of(192, 0, 2, 7), Uint8Array.of(192, 0, 2, 7))]),
  ];
  const esp = (): Payload => saPayload(proposals(ProtocolId.ESP, rand.bytes(4), [
    [{ type: 1, id: 20, keyLength: 128 }, { type: 5, id: 0 }],
    [{ type: 1, id: 12, keyLength: 128 }, { type: 3, id: 12 }, { type: 5, id: 0 }],
    [{ type: 1, id: 28 }, { type: 5, id: 0 }],
  ]));
  return rand.weighted<() => Request>([
    [5, () => ({ exchange: ExchangeType.INFORMATIONAL, payloads: [], what: 'a liveness check' })],
    [2, () => ({ exchange: ExchangeType.INFORMATIONAL, payloads: [notifyPayload(rand.pick([NotifyType.INVALID_SYNTAX, NotifyType.AUTHENTICATION_FAILED, 16384, 40000, 1]), rand.bytes(rand.int(8)))], what: 'a notify' })],
    // Requests that end the SA when authentic are rare: bringing it up again costs four X25519 operations.
    [0.15, () => ({ exchange: ExchangeType.INFORMATIONAL, payloads: [{ kind: 'D', protocolId: ProtocolId.ESP, spiSize: 4, spis: [spiOut] }], what: 'a CHILD SA delete' })],
    [0.1, () => ({ exchange: ExchangeType.INFORMATIONAL, payloads: [{ kind: 'D', protocolId: ProtocolId.IKE, spiSize: 0, spis: [] }], what: 'an IKE SA delete' })],
    [1, () => ({ exchange: ExchangeType.INFORMATIONAL, payloads: [{ kind: 'D', protocolId: ProtocolId.ESP, spiSize: 4, spis: [rand.bytes(4), rand.bytes(4)] }], what: 'a delete of unknown SPIs' })],
    [1, () => ({
      exchange: ExchangeType.CREATE_CHILD_SA, what: 'a CHILD SA rekey',
      payloads: [notifyPayload(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, rand.chance(0.8) ? spiOut : rand.bytes(4)), esp(), noncePayload(rand.bytes(32)), ...ts()],
    })],
    [0.5, () => ({ exchange: ExchangeType.CREATE_CHILD_SA, what: 'a second CHILD SA', payloads: [esp(), noncePayload(rand.bytes(32)), ...ts()] })],
    [0.1, () => ({
      exchange: ExchangeType.CREATE_CHILD_SA, what: 'an IKE SA rekey',
      payloads: [saPayload(proposals(ProtocolId.IKE, rand.bytes(8), [[{ type: 1, id: 20, keyLength: 128 }, { type: 2, id: 5 }, { type: 4, id: 31 }]])), noncePayload(rand.bytes(32)), kePayload(31, rand.bytes(32))],
    })],
    [1.5, () => ({ exchange: rand.pick([ExchangeType.INFORMATIONAL, ExchangeType.CREATE_CHILD_SA, ExchangeType.IKE_AUTH, ExchangeType.IKE_SA_INIT, 99]), payloads: samplePayloads(rand), what: 'odd payloads' })],
  ])();
}

function seal(s: SessionState, exchange: number, messageId: number, response: boolean, payloads: Payload[], corruptWith?: Rand): Uint8Array {
  const sa = s.rig.gw.sa!;
  const cipher = corruptWith ? corrupting(corruptWith, sa.cipherOut) : sa.cipherOut;
  return encodeMessage({ spiI: sa.spiI, spiR: sa.spiR, exchange, initiator: false, response, messageId, payloads: [], encrypted: payloads }, cipher);
}

/** One authentic message turned into the input's form. */
function shape(rand: Rand, s: SessionState, kind: 'request' | 'response', sealed: Uint8Array, reseal: (form: 'corrupt inside' | 'resealed') => Uint8Array, what: string): SessionInput {
  const port = rand.chance(0.9) ? 'nat-t' : 'ike';
  // Authentic corruption of a response ends the SA (as it must): rarer, so most inputs meet an established SA.
  const form = rand.weighted([[2, 'as sent'], [6, 'mutated before the ICV'], [kind === 'request' ? 2 : 0.15, 'corrupt inside'], [1.5, 'resealed'], [s.delivered.length ? 1 : 0, 'replayed']] as const);
  if (form === 'as sent') return { kind, form, bytes: sealed, port, advance: 0, authentic: true, what };
  if (form === 'replayed') return { kind, form, bytes: rand.pick(s.delivered), port, advance: 0, authentic: false, what: 'a replay' };
  if (form === 'mutated before the ICV') {
    const bytes = mutate(rand, sealed, { fields: HEADER_FIELDS, maxEdits: 3 });
    return { kind, form, bytes, port, advance: 0, authentic: equalBytes(bytes, sealed), what };
  }
  return { kind, form, bytes: reseal(form), port, advance: 0, authentic: true, what };
}

function sessionInput(rand: Rand, s: SessionState): SessionInput {
  const gw = s.rig.gw;
  const sa = gw.sa!;
  const kind = rand.weighted([[45, 'request'], [s.outstanding ? 30 : 0, 'response'], [4, 'unprotected'], [8, 'noise'], [3, 'time'], [s.outstanding ? 0 : 8, 'provoke']] as const);
  const none = new Uint8Array(0);
  switch (kind) {
    case 'time':
      return { kind, bytes: none, port: 'nat-t', advance: rand.chance(0.97) ? rand.int(5000) : rand.int(60_000), authentic: false, what: 'time passes' };
    case 'provoke':
      return { kind, bytes: none, port: 'nat-t', advance: 0, provoke: rand.weighted([[60, 'dpd'], [30, 'child-rekey'], [10, 'relink']] as const), authentic: false, what: 'the session sends a request' };
    case 'noise': {
      const spis = concatBytes(sa.spiI, sa.spiR);
      const bytes = rand.pick<() => Uint8Array>([
        () => concatBytes(new Uint8Array(4), spis, noise(rand, 200)),
        () => concatBytes(new Uint8Array(4), spis, Uint8Array.of(0x2e, 0x20, 0x25, 0x20), rand.bytes(4), Uint8Array.of(0, 0, 0, 28 + 4 + rand.int(40))),
        () => noise(rand, 60),
        () => Uint8Array.of(0xff),
        () => Uint8Array.of(0, 0, 0, 0),
        () => concatBytes(Uint8Array.of(0, 0, 0, 1), rand.bytes(rand.int(60))),
      ])();
      return { kind, bytes, port: 'nat-t', advance: 0, authentic: false, what: 'noise' };
    }
    case 'unprotected': {
      const bytes = encodeMessage({
        spiI: sa.spiI, spiR: sa.spiR, exchange: rand.pick([ExchangeType.INFORMATIONAL, ExchangeType.CREATE_CHILD_SA, ExchangeType.IKE_SA_INIT]),
        initiator: false, response: rand.chance(0.3), messageId: sa.nextRequestId, payloads: rand.chance(0.5) ? [{ kind: 'D', protocolId: ProtocolId.IKE, spiSize: 0, spis: [] }] : samplePayloads(rand),
      });
      return { kind, bytes: concatBytes(new Uint8Array(4), bytes), port: 'nat-t', advance: 0, authentic: false, what: 'an unprotected message' };
    }
    case 'request': {
      const r = gatewayRequest(rand, s);
      const id = sa.nextRequestId;
      const reseal = (form: 'corrupt inside' | 'resealed'): Uint8Array => form === 'corrupt inside'
        ? seal(s, r.exchange, id, false, r.payloads, rand)
        : rand.pick<() => Uint8Array>([
          () => seal(s, r.exchange, rand.pick([id + 1, id + 2, Math.max(0, id - 1), 0xffffffff, rand.u32()]) >>> 0, false, r.payloads),
          () => seal(s, rand.pick([ExchangeType.IKE_SA_INIT, ExchangeType.IKE_AUTH, 99, 0]), id, false, r.payloads),
          () => seal(s, r.exchange, id, true, r.payloads),
        ])();
      return withMarker(shape(rand, s, 'request', seal(s, r.exchange, id, false, r.payloads), reseal, r.what));
    }
    case 'response': {
      // The gateway's real answer to the session's outstanding request.
      const request = s.outstanding!;
      const answer = gw.handle(request);
      const header = gw.decodeResponse(request);
      const decoded = answer ? decodeMessage(answer, sa.cipherOut) : undefined;
      const payloads = decoded?.ok ? decoded.value.message.encrypted ?? [] : [];
      const reseal = (form: 'corrupt inside' | 'resealed'): Uint8Array => form === 'corrupt inside'
        ? seal(s, header.exchange, header.messageId, true, payloads, rand)
        : seal(s, rand.chance(0.5) ? header.exchange : rand.pick([ExchangeType.IKE_AUTH, ExchangeType.CREATE_CHILD_SA, ExchangeType.INFORMATIONAL]), rand.chance(0.5) ? header.messageId + 1 : header.messageId, rand.chance(0.8), payloads);
      return withMarker(shape(rand, s, 'response', answer ?? seal(s, header.exchange, header.messageId, true, []), reseal, `the answer to ${header.exchange === ExchangeType.INFORMATIONAL ? 'an INFORMATIONAL' : 'a CREATE_CHILD_SA'}`));
    }
  }
}

/** On UDP 4500 the IKE message follows a 4-byte zero marker. */
function withMarker(i: SessionInput): SessionInput {
  return i.port === 'nat-t' ? { ...i, bytes: concatBytes(new Uint8Array(4), i.bytes) } : i;
}

function ikeBytes(i: SessionInput): Uint8Array {
  return i.port === 'nat-t' ? i.bytes.subarray(4) : i.bytes;
}

/** Reads what the session sent since the last look: its own requests become outstanding; its answers move the gateway's message ID. */
function listen(s: SessionState): void {
  const gw = s.rig.gw;
  for (const sent of s.rig.sent.splice(0)) {
    const ike = sent.port === 'nat-t' ? (sent.payload.length > 4 ? sent.payload.subarray(4) : undefined) : sent.payload;
    if (!ike || !gw.sa) continue;
    let msg;
    try {
      msg = gw.decodeResponse(ike);
    } catch {
      continue; // a message on an SA the gateway no longer has
    }
    if (!msg.response) s.outstanding = ike.slice();
    else if (msg.messageId === gw.sa.nextRequestId) gw.sa.nextRequestId++;
  }
}

/** Lets the gateway answer until the session is established again (it never gives up; the backoff is at most 30 min). */
function reestablish(s: SessionState): void {
  const rig = s.rig;
  rig.gatewayAlive = true;
  for (let i = 0; i < 400 && rig.session.state !== 'established'; i++) rig.runUntil(rig.now + 10_000);
  rig.gatewayAlive = false;
  violated(rig.session.state === 'established', `not established again within ${400 * 10} s of a gateway that answers (${rig.session.state})`);
  rig.sent.length = 0;
  s.outstanding = undefined;
  s.reestablished++;
}

export const ikeSession = fuzzTarget<SessionState, SessionInput>({
  name: 'ike-session',
  about: 'an established IkeSession fed the gateway\'s real requests and responses as sent, mutated before the ICV, corrupt inside, resealed under other IDs/exchanges, replayed, unprotected, and noise with its SPIs; not authentic = no change, never a throw, established again after anything authentic',
  episode: 2_000,
  retainedLimit: 128 * 1024,
  // A key pair or a shared secret (X25519 over BigInts) allocates about 0.95 MB of short-lived numbers.
  allocationLimit: 4 * 1024 * 1024,
  setup(rand) {
    const rig = new Rig(
      { random: rand, rekeyNonceR: rand.bytes(32) },
      { ikeProposals: [rand.pick(IKE_SUITES)], espProposals: [rand.pick(ESP_SUITES)] },
    );
    rig.start();
    violated(rig.session.state === 'established', 'the rig did not come up');
    rig.gatewayAlive = false;
    rig.sent.length = 0;
    return { rig, rand, outstanding: undefined, delivered: [], reestablished: 0 };
  },
  make: sessionInput,
  feed(s, input) {
    const rig = s.rig;
    const sa = rig.session.ikeSa!;
    input.before = { spiI: sa.spiI.slice(), spiR: sa.spiR.slice(), child: rig.child, events: rig.events.length };
    if (input.advance) rig.runUntil(rig.now + input.advance);
    if (input.provoke === 'dpd') rig.session.queue(new DpdTask(), rig.now);
    if (input.provoke === 'child-rekey') rig.session.rekeyChildAt(rig.now);
    // A carrier loss and a new link: the kept SAs move (the gateway answers once it hears again).
    if (input.provoke === 'relink') {
      rig.session.linkDown(rig.now);
      rig.session.start(rig.now, '10.0.2.15', 500);
    }
    if (input.bytes.length) rig.session.input(input.bytes, input.port, rig.now);
    rig.runUntil(rig.now);
  },
  check(s, input) {
    const rig = s.rig;
    const b = input.before!;
    if (input.bytes.length && !input.authentic) {
      const sa = rig.session.ikeSa;
      violated(rig.session.state === 'established' && sa && equalBytes(sa.spiI, b.spiI) && equalBytes(sa.spiR, b.spiR), `an input that is not authentic changed the IKE SA (${rig.session.state})`);
      violated(rig.child === b.child, 'an input that is not authentic changed the CHILD SA');
      violated(rig.events.length === b.events, `an input that is not authentic made events: ${rig.types().slice(b.events).join(', ')}`);
    }
    if (input.authentic && input.kind === 'response') s.outstanding = undefined;
    const nextRequestId = rig.gw.sa?.nextRequestId;
    listen(s);
    // Replays are of messages the session took (a request it answered, the answer to its request): a message
    // it dropped when it came (a request sealed for a later message ID) would be fresh when replayed.
    const taken = input.form === 'as sent' && (input.kind === 'response' || (rig.gw.sa?.nextRequestId !== nextRequestId && readU32(ikeBytes(input), 20) < rig.gw.sa!.nextRequestId));
    if (taken) {
      s.delivered.push(ikeBytes(input));
      if (s.delivered.length > 8) s.delivered.shift();
    }
    if (rig.session.state !== 'established') reestablish(s);
    rig.events.length = 0;
    rig.gw.received.length = 0; // the fake gateway keeps every message it decoded
  },
  end(s) {
    violated(s.rig.session.state === 'established', 'the episode ended with the session down');
  },
  retained: (s) => s.rig.session,
  retainedSkip: (s) => [s.rand, s.rig.session.log],
  label: (_s, i) => `${i.kind}${i.form ? ` ${i.form}` : ''}${i.authentic && i.bytes.length ? ' (authentic)' : ''}`,
  show: (i) => `${i.what} (${i.kind}${i.form ? `, ${i.form}` : ''}${i.authentic ? ', authentic' : ''}) on ${i.port}${i.advance ? `, +${i.advance} ms` : ''}${i.provoke ? `, ${i.provoke}` : ''}: ${hex(ikeBytes(i))}`,
});
