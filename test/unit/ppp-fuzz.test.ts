/** Random bytes and mutated valid frames must never throw out of a PppLink. */
import { pppSection } from '../../src/ppp/config.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FRAMING, encodeFrame } from '../../src/ppp/hdlc.ts';
import { PppLink } from '../../src/ppp/link.ts';
import { PROTO_CHAP, PROTO_IPCP, PROTO_IPV4, PROTO_LCP, PROTO_PAP } from '../../src/ppp/protocols.ts';
import { silentLogger } from '../../src/util/log.ts';
import { prng } from './prng.ts';


// Valid-looking control packets to mutate: LCP/IPCP requests with options, echo, auth replies.
const SEEDS: [number, number[]][] = [
  [PROTO_LCP, [1, 1, 0, 20, 1, 4, 5, 220, 2, 6, 0, 0, 0, 0, 5, 6, 1, 2, 3, 4, 7, 2]],
  [PROTO_LCP, [2, 1, 0, 8, 7, 2, 8, 2]],
  [PROTO_LCP, [9, 3, 0, 8, 1, 2, 3, 4]],
  [PROTO_LCP, [8, 3, 0, 8, 0x80, 0x21, 1, 1]],
  [PROTO_LCP, [7, 3, 0, 6, 1, 1]],
  [PROTO_LCP, [5, 3, 0, 4]],
  [PROTO_IPCP, [1, 1, 0, 16, 3, 6, 0, 0, 0, 0, 2, 6, 0, 0x2d, 15, 1]],
  [PROTO_IPCP, [3, 1, 0, 10, 3, 6, 10, 0, 2, 15]],
  [PROTO_PAP, [2, 1, 0, 5, 0]],
  [PROTO_CHAP, [1, 1, 0, 9, 4, 1, 2, 3, 4]],
  [PROTO_IPV4, [0x45, 0, 0, 20]],
  [0x80fd, [1, 1, 0, 4]],
];

test('fuzz: random bytes and mutated frames never throw, in every phase', () => {
  const rand = prng(0x1234567);
  const byte = () => Math.floor(rand() * 256);
  for (const auth of ['none', 'pap', 'chap'] as const) {
    let now = 0;
    const link = new PppLink(
      pppSection.parse({ pppAuth: auth, pppUser: 'u', pppPassword: 'p', lcpEchoInterval: 1, lcpEchoFailures: 2, mru: 1500 }),
      { random: { bytes: (n) => Uint8Array.from({ length: n }, byte) }, log: silentLogger() },
      { writeSerial: () => {}, deliverIpv4: () => {}, onEvent: () => {} },
    );
    link.open(now);
    for (let i = 0; i < 3000; i++) {
      now += Math.floor(rand() * 200);
      const r = rand();
      let bytes: Uint8Array;
      if (r < 0.2) bytes = Uint8Array.from({ length: Math.floor(rand() * 64) }, byte);
      else {
        const [protocol, info] = SEEDS[Math.floor(rand() * SEEDS.length)]!;
        const mutated = Uint8Array.from(info);
        for (let k = Math.floor(rand() * 4); k > 0; k--) mutated[Math.floor(rand() * mutated.length)] = byte();
        const cut = rand() < 0.2 ? mutated.subarray(0, Math.floor(rand() * mutated.length)) : mutated;
        bytes = encodeFrame(protocol, cut, DEFAULT_FRAMING);
        if (rand() < 0.1) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      }
      assert.doesNotThrow(() => link.input(bytes, now));
      if (rand() < 0.05) assert.doesNotThrow(() => link.sendIpv4(new Uint8Array(Math.floor(rand() * 2000)), now));
      const d = link.deadline();
      if (d !== undefined && d <= now) assert.doesNotThrow(() => link.onTimer(now));
      if (link.currentPhase === 'Dead' && rand() < 0.5) link.open(now);
    }
    assert.equal(link.snapshot().drops['internal error'] ?? 0, 0, `no exception caught inside the link (${auth})`);
  }
});

test('fuzz: two links negotiating over a line that corrupts, drops and duplicates bytes never throw', () => {
  const rand = prng(0xbeef);
  const byte = () => Math.floor(rand() * 256);
  const queues: Uint8Array[][] = [[], []];
  const upCount = [0, 0];
  const corrupt = (b: Uint8Array): Uint8Array[] => {
    const r = rand();
    if (r < 0.1) return [];
    if (r < 0.15) return [b, b];
    if (r < 0.35) {
      const c = b.slice();
      c[Math.floor(rand() * c.length)] = byte();
      return [c];
    }
    return [b];
  };
  const links = [0, 1].map((i) => new PppLink(
    pppSection.parse({ pppAuth: 'none', pppUser: '', pppPassword: '', lcpEchoInterval: 2, lcpEchoFailures: 2, mru: 1500 }),
    { random: { bytes: (n) => Uint8Array.from({ length: n }, byte) }, log: silentLogger() },
    {
      writeSerial: (b) => queues[1 - i]!.push(...corrupt(b)),
      deliverIpv4: () => {},
      onEvent: (e) => { if (e.type === 'up') upCount[i]!++; },
    },
    { peerAddressHint: `10.9.9.${i + 1}` },
  ));
  let now = 0;
  for (const l of links) l.open(now);
  for (let step = 0; step < 5000; step++) {
    now += Math.floor(rand() * 300);
    for (const i of [0, 1]) {
      const q = queues[i]!.splice(0);
      for (const b of q) assert.doesNotThrow(() => links[i]!.input(b, now));
      const d = links[i]!.deadline();
      if (d !== undefined && d <= now) links[i]!.onTimer(now);
      if (links[i]!.currentPhase === 'Dead') links[i]!.open(now);
      if (rand() < 0.05) links[i]!.sendIpv4(Uint8Array.of(0x45, ...Array.from({ length: 30 }, byte)), now);
    }
  }
  assert.ok(upCount[0]! > 0 && upCount[1]! > 0, `the network came up despite the noise (${upCount})`);
  for (const l of links) assert.equal(l.snapshot().drops['internal error'] ?? 0, 0);
});
