/**
 * PPP: the HDLC decoder (+ parseFrame) on frame streams with every framing option, corrupted and
 * cut anywhere; and PppLink driven through every phase by a scripted peer (LCP with PAP or CHAP,
 * authentication, IPCP, echoes) whose frames are mutated, cut, repeated and mixed with noise.
 * The link must never throw (nor catch an internal error), and must come up again once the noise stops.
 */
import { DropCounter, silentLogger } from '../../../src/util/log.ts';
import { concatBytes, equalBytes, readU32 } from '../../../src/util/bytes.ts';
import { pppSection, type PppAuthMethod } from '../../../src/ppp/config.ts';
import { buildControlPacket } from '../../../src/ppp/control-packet.ts';
import { DEFAULT_FRAMING, encodeFrame, HdlcDecoder, parseFrame, type PppPacket } from '../../../src/ppp/hdlc.ts';
import { PppLink } from '../../../src/ppp/link.ts';
import { encodeOptions, option, u16Option, u32Option, type ConfigOption } from '../../../src/ppp/options.ts';
import { CODE, PROTO_CHAP, PROTO_IPCP, PROTO_IPV4, PROTO_LCP, PROTO_PAP } from '../../../src/ppp/protocols.ts';
import { ascii, hex, mutate, noise, pieces, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { runDue } from './harness.ts';

const PROTOCOLS = [PROTO_LCP, PROTO_IPCP, PROTO_PAP, PROTO_CHAP, PROTO_IPV4, 0x80fd, 0x002d, 0x8057, 0xc025];

interface HdlcState {
  decoder: HdlcDecoder;
  max: number;
  frames: Uint8Array[];
}

interface HdlcInput {
  chunks: Uint8Array[];
  rxAccm?: number;
  /** Frames sent clean, escaped fully: they must come out (after anything the stream held before). */
  clean?: PppPacket[];
  from: string;
}

export const pppHdlc = fuzzTarget<HdlcState, HdlcInput>({
  name: 'ppp-hdlc',
  about: 'HdlcDecoder + parseFrame on frame streams (ACCM, ACFC, PFC), corrupted, cut and split anywhere; clean frames come out exactly',
  episode: 10_000,
  retainedLimit: 8 * 1024,
  setup(rand) {
    const max = rand.pick([64, 300, 1508]);
    const s: HdlcState = { decoder: undefined as unknown as HdlcDecoder, max, frames: [] };
    s.decoder = new HdlcDecoder(max, new DropCounter(silentLogger()), (f) => s.frames.push(f));
    return s;
  },
  make(rand, s) {
    const clean = rand.chance(0.3);
    const packets: PppPacket[] = Array.from({ length: 1 + rand.int(4) }, () => ({
      protocol: rand.pick(PROTOCOLS),
      info: rand.bytes(clean ? rand.int(s.max - 8) : rand.chance(0.1) ? rand.int(2 * s.max) : rand.int(80)),
    }));
    const framing = clean ? DEFAULT_FRAMING : { accm: rand.chance(0.5) ? 0 : rand.u32(), acfc: rand.chance(0.5), pfc: rand.chance(0.5) };
    let stream = concatBytes(...packets.map((p) => encodeFrame(p.protocol, p.info, framing)));
    if (!clean) {
      stream = mutate(rand, stream, { maxEdits: 3 });
      if (rand.chance(0.3)) stream = concatBytes(stream, noise(rand, 40, [0x7e, 0x7d, 0x11, 0x13]));
    }
    return {
      chunks: pieces(rand, stream, 6),
      rxAccm: rand.chance(0.1) ? rand.pick([0, 0xffffffff, rand.u32()]) : undefined,
      clean: clean ? packets : undefined,
      from: clean ? 'clean frames' : 'corrupted frames',
    };
  },
  feed(s, input) {
    if (input.rxAccm !== undefined && !input.clean) s.decoder.rxAccm = input.rxAccm;
    s.frames = [];
    for (const c of input.chunks) s.decoder.push(c);
    for (const f of s.frames) {
      violated(f.length <= s.max - 2, `a frame of ${f.length} bytes from a decoder of ${s.max}`);
      const p = parseFrame(f);
      if (p) violated((p.protocol & 1) === 1 && p.info.length <= f.length, 'parseFrame gave an even protocol or a longer info');
    }
  },
  check(s, input) {
    if (!input.clean) return;
    const got = s.frames.slice(-input.clean.length).map(parseFrame);
    violated(got.length === input.clean.length, `${got.length} of ${input.clean.length} clean frames came out`);
    input.clean.forEach((p, i) => violated(got[i]?.protocol === p.protocol && equalBytes(got[i]!.info, p.info), `clean frame ${i} changed`));
  },
  retained: (s) => s.decoder,
  label: (_s, i) => i.from,
  show: (i) => `${i.from}${i.rxAccm !== undefined ? `, rx ACCM ${i.rxAccm.toString(16)}` : ''}: ${i.chunks.map((c) => hex(c, 512)).join(' | ')}`,
});

// ---- the link ----

interface PeerPacket {
  protocol: number;
  code: number;
  id: number;
  data: Uint8Array;
}

interface LinkState {
  link: PppLink;
  auth: PppAuthMethod;
  now: number;
  /** What the link sent since the peer last answered. */
  outbox: PeerPacket[];
  decoder: HdlcDecoder;
  peerMagic: number;
  peerId: number;
  ups: number;
  internalErrors: number;
  /** The episode's generator (the link's randomness too), for the clean peer at the end. */
  rand: Rand;
}

interface LinkInput {
  advance: number;
  chunks: Uint8Array[];
  /** Host actions: a new call (open), a hang-up (close), an IPv4 packet to send. */
  action?: 'open' | 'close' | 'send';
  from: string;
}

function lcpRequest(s: LinkState, rand: Rand): Uint8Array {
  const opts: ConfigOption[] = [u16Option(1, rand.pick([1500, 1400, 576])), u32Option(2, 0)];
  if (s.auth === 'pap') opts.push(option(3, [PROTO_PAP >> 8, PROTO_PAP & 0xff]));
  if (s.auth === 'chap') opts.push(option(3, [PROTO_CHAP >> 8, PROTO_CHAP & 0xff, 5]));
  opts.push(u32Option(5, s.peerMagic), option(7), option(8));
  return buildControlPacket(CODE.configureRequest, s.peerId++ & 0xff, encodeOptions(opts));
}

/** The peer's answers to what the link sent, and its own requests for the phase the link is in. */
function peerFrames(rand: Rand, s: LinkState): { protocol: number; info: Uint8Array }[] {
  const out: { protocol: number; info: Uint8Array }[] = [];
  const phase = s.link.currentPhase;
  for (const p of s.outbox) {
    if ((p.protocol === PROTO_LCP || p.protocol === PROTO_IPCP) && p.code === CODE.configureRequest) {
      const zeroAddress = p.protocol === PROTO_IPCP && p.data.length >= 6 && p.data[0] === 3 && readU32(p.data, 2) === 0;
      out.push(zeroAddress
        ? { protocol: p.protocol, info: buildControlPacket(CODE.configureNak, p.id, encodeOptions([u32Option(3, 0x0a000002)])) }
        : { protocol: p.protocol, info: buildControlPacket(CODE.configureAck, p.id, p.data) });
    } else if (p.protocol === PROTO_LCP && p.code === CODE.echoRequest) {
      const reply = p.data.slice();
      if (reply.length >= 4) reply.set([s.peerMagic >>> 24, (s.peerMagic >>> 16) & 0xff, (s.peerMagic >>> 8) & 0xff, s.peerMagic & 0xff]);
      out.push({ protocol: PROTO_LCP, info: buildControlPacket(CODE.echoReply, p.id, reply) });
    } else if ((p.protocol === PROTO_LCP || p.protocol === PROTO_IPCP) && p.code === CODE.terminateRequest) {
      out.push({ protocol: p.protocol, info: buildControlPacket(CODE.terminateAck, p.id, new Uint8Array(0)) });
    } else if (p.protocol === PROTO_PAP && p.code === 1) {
      out.push({ protocol: PROTO_PAP, info: buildControlPacket(rand.chance(0.95) ? 2 : 3, p.id, Uint8Array.of(2, 0x6f, 0x6b)) });
    } else if (p.protocol === PROTO_CHAP && p.code === 2) {
      out.push({ protocol: PROTO_CHAP, info: buildControlPacket(rand.chance(0.95) ? 3 : 4, p.id, ascii('ok')) });
    }
  }
  s.outbox = [];
  if (phase === 'Establish' && rand.chance(0.6)) out.push({ protocol: PROTO_LCP, info: lcpRequest(s, rand) });
  if (phase === 'Authenticate' && s.auth === 'chap' && rand.chance(0.5)) {
    out.push({ protocol: PROTO_CHAP, info: buildControlPacket(1, s.peerId++ & 0xff, Uint8Array.of(16, ...rand.bytes(16), ...ascii('gw'))) });
  }
  if (phase === 'Network' && rand.chance(0.5)) out.push({ protocol: PROTO_IPCP, info: buildControlPacket(CODE.configureRequest, s.peerId++ & 0xff, encodeOptions([u32Option(3, 0x0a000001)])) });
  return out;
}

/** What else a hostile or confused peer sends. */
function oddFrame(rand: Rand, s: LinkState): { protocol: number; info: Uint8Array } {
  const id = rand.byte();
  return rand.pick<() => { protocol: number; info: Uint8Array }>([
    () => ({ protocol: PROTO_LCP, info: buildControlPacket(CODE.terminateRequest, id, rand.bytes(rand.int(8))) }),
    () => ({ protocol: PROTO_LCP, info: buildControlPacket(CODE.echoRequest, id, rand.bytes(4 + rand.int(40))) }),
    () => ({ protocol: PROTO_LCP, info: buildControlPacket(CODE.protocolReject, id, Uint8Array.of(rand.pick([0x80, 0xc0]), rand.pick([0x21, 0x23]), ...rand.bytes(rand.int(8)))) }),
    () => ({ protocol: PROTO_LCP, info: buildControlPacket(CODE.codeReject, id, rand.bytes(rand.int(8))) }),
    () => ({ protocol: PROTO_LCP, info: buildControlPacket(CODE.configureRequest, id, encodeOptions([u32Option(5, s.peerMagic), option(rand.byte(), rand.bytes(rand.int(6)))])) }),
    () => ({ protocol: PROTO_LCP, info: buildControlPacket(rand.pick([CODE.configureNak, CODE.configureReject]), id, encodeOptions([u16Option(1, rand.int(0x10000)), option(3, [0xc2, 0x23, 5])])) }),
    () => ({ protocol: PROTO_LCP, info: buildControlPacket(rand.pick([12, 13, 14, 0, 255]), id, rand.bytes(rand.int(12))) }),
    () => ({ protocol: PROTO_IPCP, info: buildControlPacket(rand.pick([1, 2, 3, 4, 5, 6, 7]), id, encodeOptions([option(rand.pick([2, 3, 129, 131, 130]), rand.bytes(rand.pick([4, 2, 0, 6])))])) }),
    () => ({ protocol: PROTO_PAP, info: buildControlPacket(rand.pick([1, 2, 3, 9]), id, rand.bytes(rand.int(10))) }),
    () => ({ protocol: PROTO_CHAP, info: buildControlPacket(rand.pick([1, 3, 4, 7]), id, Uint8Array.of(rand.int(40), ...rand.bytes(rand.int(40)))) }),
    () => ({ protocol: PROTO_IPV4, info: Uint8Array.of(0x45, ...rand.bytes(rand.int(60))) }),
    () => ({ protocol: rand.pick([0x80fd, 0x8057, 0x002b, 0xc025, 0x0281]), info: rand.bytes(rand.int(30)) }),
  ])();
}

const CONTROL_FIELDS: Field[] = [{ at: 0, size: 1 }, { at: 1, size: 1 }, { at: 2, size: 2 }, { at: 4, size: 1 }, { at: 5, size: 1 }, { at: 6, size: 1 }, { at: 7, size: 1 }];

function linkInput(rand: Rand, s: LinkState, hostile: boolean): LinkInput {
  const advance = rand.weighted([[5, 0], [4, rand.int(3000)], [1, rand.int(40_000)]] as const);
  const frames = peerFrames(rand, s);
  if (hostile) {
    if (rand.chance(0.4)) frames.push(oddFrame(rand, s));
    for (const f of frames) if (rand.chance(0.2)) f.info = mutate(rand, f.info, { fields: CONTROL_FIELDS });
  }
  let stream = concatBytes(...frames.map((f) => encodeFrame(f.protocol, f.info, DEFAULT_FRAMING)));
  if (hostile && rand.chance(0.1)) stream = mutate(rand, stream, { maxEdits: 2 });
  if (hostile && rand.chance(0.1)) stream = concatBytes(noise(rand, 60, [0x7e, 0x7d, 0xff, 0x03, 0x0d, 0x0a]), stream);
  const action = !hostile ? (s.link.currentPhase === 'Dead' ? 'open' : undefined)
    : rand.weighted([[90, undefined], [s.link.currentPhase === 'Dead' ? 40 : 0.5, 'open'], [0.3, 'close'], [2, 'send']] as const);
  return { advance, chunks: pieces(rand, stream, 3), action, from: frames.length ? frames.map((f) => f.protocol.toString(16)).join(',') : 'silence' };
}

function feedLink(s: LinkState, input: LinkInput): void {
  s.now += input.advance;
  runDue(s.link, s.now, 'link');
  if (input.action === 'open') s.link.open(s.now);
  if (input.action === 'close') s.link.close(s.now);
  if (input.action === 'send') s.link.sendIpv4(Uint8Array.of(0x45, 0, 0, 20, ...new Uint8Array(16)), s.now);
  for (const c of input.chunks) s.link.input(c, s.now);
}

function internalErrors(s: LinkState): number {
  return s.link.snapshot().drops['internal error'] ?? 0;
}

export const pppLink = fuzzTarget<LinkState, LinkInput>({
  name: 'ppp-link',
  about: 'PppLink in every phase (LCP, PAP/CHAP, IPCP, up, terminating, dead) fed a scripted peer\'s frames, mutated, odd packets and noise; no exception, no busy loop, and up again once the noise stops',
  episode: 2_000,
  retainedLimit: 32 * 1024,
  setup(rand) {
    const auth = rand.pick(['none', 'pap', 'chap'] as const);
    const s: LinkState = {
      link: undefined as unknown as PppLink, auth, now: 0, outbox: [], decoder: undefined as unknown as HdlcDecoder,
      peerMagic: rand.u32() | 1, peerId: rand.byte(), ups: 0, internalErrors: 0, rand,
    };
    s.decoder = new HdlcDecoder(4000, new DropCounter(silentLogger()), (f) => {
      const p = parseFrame(f);
      if (p && p.info.length >= 4) s.outbox.push({ protocol: p.protocol, code: p.info[0]!, id: p.info[1]!, data: p.info.subarray(4) });
    });
    s.decoder.rxAccm = 0;
    s.link = new PppLink(
      pppSection.parse({ pppAuth: auth, pppUser: 'user', pppPassword: 'secret', lcpEchoInterval: rand.pick([0, 1, 5]), lcpEchoFailures: rand.between(1, 3), mru: rand.pick([576, 1500]) }),
      { random: rand, log: silentLogger() },
      {
        writeSerial: (b) => s.decoder.push(b),
        deliverIpv4: () => {},
        onEvent: (e) => {
          if (e.type === 'up') s.ups++;
        },
      },
      { timing: { restartMs: 1000 } },
    );
    s.link.open(0);
    return s;
  },
  make: (rand, s) => linkInput(rand, s, true),
  feed: feedLink,
  check(s) {
    const errors = internalErrors(s);
    violated(errors === s.internalErrors, `the link caught an exception of its own (${Object.keys(s.link.snapshot().drops).join('; ')})`);
  },
  end(s) {
    // The noise stops: a clean peer must bring the network up within a few minutes.
    const up = s.ups;
    for (let i = 0; i < 600 && s.ups === up; i++) feedLink(s, linkInput(s.rand, s, false));
    violated(s.ups > up, `the link did not come up again once the noise stopped (phase ${s.link.currentPhase})`);
  },
  retained: (s) => s.link,
  label: (s) => s.link.currentPhase,
  show: (i) => `+${i.advance} ms${i.action ? `, ${i.action}` : ''}, frames ${i.from}: ${i.chunks.map((c) => hex(c, 512)).join(' | ')}`,
});
