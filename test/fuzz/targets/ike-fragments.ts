/**
 * IKE fragment reassembly (RFC 7383), the stateful entry: a gateway's fragmented messages in any
 * order, duplicated, re-fragmented at another size, late, forged, or (through a pass-through cipher)
 * authentic but with mutated fragment numbers, totals and lengths, with time jumping past the
 * reassembly timeout. Forged fragments are never kept; a whole message is one that was sent; what
 * the reassembly holds stays within its bounds.
 */
import { createAuthCipher, type AuthCipher } from '../../../src/crypto/index.ts';
import { AES128_GCM16 } from '../../../src/crypto/algorithms/index.ts';
import { ExchangeType } from '../../../src/ike/codec/index.ts';
import { encodeFragments, MAX_REASSEMBLED_BYTES, openFragment, REASSEMBLY_TIMEOUT_MS, Reassembly, type Reassembled } from '../../../src/ike/fragments.ts';
import { equalBytes, fromHex } from '../../../src/util/bytes.ts';
import { hex, mutate, noise } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { passThrough, samplePayloads } from './ike-codec.ts';

interface FragState {
  cipher: AuthCipher;
  reassembly: Reassembly;
  now: number;
  /** The current message's fragments as the gateway sent them (real cipher), and every one it ever sent. */
  pending: Uint8Array[];
  sent: Uint8Array[];
  sentIds: Set<number>;
  nextId: number;
}

interface FragInput {
  bytes: Uint8Array;
  pass: boolean;
  authentic: boolean;
  advance: number;
  from: string;
  outcome?: string;
}

const header = (messageId: number) => ({ spiI: fromHex('0102030405060708'), spiR: fromHex('1112131415161718'), exchange: ExchangeType.IKE_AUTH, initiator: false, response: true, messageId });

function fragmentsOf(rand: Rand, cipher: AuthCipher, messageId: number): Uint8Array[] {
  return encodeFragments(header(messageId), [...samplePayloads(rand), ...samplePayloads(rand)], cipher, 256 + rand.int(rand.chance(0.8) ? 200 : 1100));
}

export const ikeFragments = fuzzTarget<FragState, FragInput>({
  name: 'ike-fragments',
  about: 'openFragment + Reassembly: fragments reordered, duplicated, re-fragmented, forged, authentic-but-mutated (pass-through cipher), time jumps; forged never kept, whole = sent, bounded',
  episode: 5_000,
  retainedLimit: 2 * MAX_REASSEMBLED_BYTES + 16 * 1024,
  setup(rand) {
    const random = { bytes: (n: number) => rand.bytes(n) };
    return { cipher: createAuthCipher({ encr: AES128_GCM16, encrKey: rand.bytes(20), random }), reassembly: new Reassembly(), now: 0, pending: [], sent: [], sentIds: new Set(), nextId: 1 };
  },
  make(rand, s) {
    const advance = rand.chance(0.05) ? rand.int(REASSEMBLY_TIMEOUT_MS * 2) : rand.int(100);
    if (rand.chance(0.2)) {
      const set = fragmentsOf(rand, passThrough, rand.int(4));
      const valid = rand.pick(set);
      return { bytes: mutate(rand, valid, { fields: [{ at: 28, size: 1 }, { at: 30, size: 2 }, { at: 32, size: 2 }, { at: 34, size: 2 }, { at: 24, size: 4 }], maxEdits: 3 }), pass: true, authentic: true, advance, from: `mutated from ${hex(valid, 128)}` };
    }
    if (s.pending.length === 0 || rand.chance(0.05)) {
      // The gateway's next message (or the same one re-fragmented at another size).
      const id = rand.chance(0.3) ? Math.max(1, s.nextId - 1) : s.nextId++;
      s.pending = fragmentsOf(rand, s.cipher, id);
      for (const f of s.pending) s.sent.push(f);
      s.sentIds.add(id);
      if (s.sent.length > 256) s.sent.splice(0, s.sent.length - 256);
    }
    if (rand.chance(0.1)) return { bytes: noise(rand, 600), pass: false, authentic: false, advance, from: 'noise' };
    const valid = rand.chance(0.8) ? s.pending.splice(rand.int(s.pending.length), 1)[0]! : rand.pick(s.sent);
    if (rand.chance(0.15)) {
      const forged = mutate(rand, valid, { maxEdits: 4 });
      return { bytes: forged, pass: false, authentic: equalBytes(forged, valid), advance, from: `forged from ${hex(valid, 128)}` };
    }
    return { bytes: valid, pass: false, authentic: true, advance, from: 'as sent' };
  },
  feed(s, input) {
    s.now += input.advance;
    const f = openFragment(input.bytes, input.pass ? passThrough : s.cipher);
    if (!f.ok) {
      input.outcome = f.error.code;
      return;
    }
    violated(input.authentic, 'a forged fragment passed its integrity check');
    const r: Reassembled = s.reassembly.add(f.value, s.now);
    input.outcome = r.kind === 'dropped' ? r.reason : r.kind === 'whole' ? `whole ${r.decoded.ok ? 'decoded' : r.decoded.error.code}` : r.kind;
    if (r.kind === 'whole' && r.decoded.ok && !input.pass) violated(s.sentIds.has(r.decoded.value.message.messageId), 'a whole message the gateway never sent');
  },
  retained: (s) => s.reassembly,
  label: (_s, i) => `${i.pass ? 'pass-through ' : ''}${i.outcome ?? ''}`,
  show: (i) => `${hex(i.bytes)} (${i.from})`,
});
