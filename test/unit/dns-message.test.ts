import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildQuery, encodeName, parseMessage, readName, sameName, TYPE_A, TYPE_CNAME } from '../../src/dns/message.ts';
import { addressesFor } from '../../src/dns/answer.ts';
import { toHex } from '../../src/util/bytes.ts';
import type { Random } from '../../src/platform.ts';

/** Tiny DNS writer for hand-made responses: offsets are exposed so tests can aim pointers. */
class Writer {
  readonly b: number[] = [];
  get pos(): number { return this.b.length; }
  u8(...v: number[]): this { this.b.push(...v); return this; }
  u16(v: number): this { return this.u8(v >> 8, v & 0xff); }
  u32(v: number): this { return this.u16(v >>> 16).u16(v & 0xffff); }
  labels(...ls: string[]): this { for (const l of ls) this.u8(l.length, ...[...l].map((c) => c.charCodeAt(0))); return this; }
  name(...ls: string[]): this { return this.labels(...ls).u8(0); }
  ptr(offset: number): this { return this.u16(0xc000 | offset); }
  header(id: number, flags: number, qd: number, an: number): this { return this.u16(id).u16(flags).u16(qd).u16(an).u16(0).u16(0); }
  rr(writeName: () => void, type: number, ttl: number, rdata: () => void): this {
    writeName();
    this.u16(type).u16(1).u32(ttl);
    const lenAt = this.pos;
    this.u16(0);
    rdata();
    const len = this.pos - lenAt - 2;
    this.b[lenAt] = len >> 8;
    this.b[lenAt + 1] = len & 0xff;
    return this;
  }
  bytes(): Uint8Array { return Uint8Array.from(this.b); }
}

test('A query for example.com: exact bytes, RD set', () => {
  assert.equal(toHex(buildQuery(0xabcd, 'example.com')!), 'abcd01000001000000000000076578616d706c6503636f6d0000010001');
  assert.equal(toHex(buildQuery(0xabcd, 'example.com.')!), toHex(buildQuery(0xabcd, 'example.com')!));
});

test('invalid names are refused', () => {
  for (const bad of ['', '.', 'a..b', 'x'.repeat(64) + '.com', `${'abcdefgh.'.repeat(28)}com`, 'sp ace.com', 'bäd.com', 'back\\slash']) {
    assert.equal(encodeName(bad), undefined, bad);
  }
  assert.ok(encodeName('x'.repeat(63) + '.com'));
});

/** www.example.com CNAME edge.example.com; edge.example.com CNAME cdn.example.net; cdn.example.net A x2. */
function cnameResponse(id = 0x1111): Uint8Array {
  const w = new Writer().header(id, 0x8180, 1, 5);
  const qname = w.pos;
  w.name('www', 'example', 'com').u16(TYPE_A).u16(1);
  const exampleCom = qname + 4;
  let edge = 0;
  let cdn = 0;
  w.rr(() => w.ptr(qname), TYPE_CNAME, 300, () => { edge = w.pos; w.labels('edge').ptr(exampleCom); });
  w.rr(() => w.ptr(edge), TYPE_CNAME, 60, () => { cdn = w.pos; w.name('cdn', 'example', 'net'); });
  w.rr(() => w.ptr(cdn), TYPE_A, 30, () => w.u8(192, 0, 2, 10));
  w.rr(() => w.ptr(cdn), TYPE_A, 40, () => w.u8(192, 0, 2, 11));
  w.rr(() => w.name('unrelated', 'org'), TYPE_A, 5, () => w.u8(203, 0, 113, 1));
  return w.bytes();
}

test('response with compression and a CNAME chain decodes', () => {
  const r = parseMessage(cnameResponse());
  assert.ok(r.ok);
  const m = r.value;
  assert.equal(m.header.id, 0x1111);
  assert.equal(m.header.response, true);
  assert.equal(m.header.recursionAvailable, true);
  assert.equal(m.header.truncated, false);
  assert.deepEqual(m.questions, [{ name: 'www.example.com', type: TYPE_A, class: 1 }]);
  assert.deepEqual(m.answers.map((a) => [a.name, a.type, a.target ?? a.address]), [
    ['www.example.com', TYPE_CNAME, 'edge.example.com'],
    ['edge.example.com', TYPE_CNAME, 'cdn.example.net'],
    ['cdn.example.net', TYPE_A, '192.0.2.10'],
    ['cdn.example.net', TYPE_A, '192.0.2.11'],
    ['unrelated.org', TYPE_A, '203.0.113.1'],
  ]);
  assert.deepEqual(addressesFor('WWW.Example.COM.', m.answers), { addresses: ['192.0.2.10', '192.0.2.11'], ttl: 30, canonicalName: 'cdn.example.net' });
  assert.deepEqual(addressesFor('other.example.com', m.answers).addresses, []);
});

test('CNAME loops in the answer yield no addresses', () => {
  const w = new Writer().header(1, 0x8180, 0, 2);
  const a = w.pos;
  w.rr(() => w.name('a', 'test'), TYPE_CNAME, 1, () => w.name('b', 'test'));
  w.rr(() => w.name('b', 'test'), TYPE_CNAME, 1, () => w.ptr(a));
  const r = parseMessage(w.bytes());
  assert.ok(r.ok);
  assert.deepEqual(addressesFor('a.test', r.value.answers).addresses, []);
});

const reasonOf = (b: Uint8Array): string => { const r = parseMessage(b); return r.ok ? 'ok' : r.error; };

test('malicious names: pointer loops, forward pointers, bad label types, overlong names', () => {
  const self = new Writer().header(1, 0x8180, 1, 0);
  self.ptr(self.pos).u16(1).u16(1);
  assert.equal(reasonOf(self.bytes()), 'dns bad compression pointer');

  // Two names pointing at each other: the second jump is not strictly backwards.
  const mutual = new Writer().header(1, 0x8180, 2, 0);
  const first = mutual.pos;
  mutual.labels('a').ptr(first + 8).u16(1).u16(1); // points forward at the second question
  mutual.labels('b').ptr(first).u16(1).u16(1);
  assert.equal(reasonOf(mutual.bytes()), 'dns bad compression pointer');

  const intoHeader = new Writer().header(1, 0x8180, 1, 0).ptr(2).u16(1).u16(1);
  assert.equal(reasonOf(intoHeader.bytes()), 'dns bad compression pointer');

  const ext = new Writer().header(1, 0x8180, 1, 0).u8(0x41, 0, 0, 1, 0, 1);
  assert.equal(reasonOf(ext.bytes()), 'dns bad label type');

  const long = new Writer().header(1, 0x8180, 1, 0);
  for (let i = 0; i < 5; i++) long.labels('x'.repeat(63));
  long.u8(0).u16(1).u16(1);
  assert.equal(reasonOf(long.bytes()), 'dns name too long');

  // A long chain of backward pointers is bounded too.
  const chain = new Writer().header(1, 0x8180, 0, 0);
  let prev = chain.pos;
  chain.u8(0);
  for (let i = 0; i < 40; i++) { const here = chain.pos; chain.ptr(prev); prev = here; }
  const r = readName(chain.bytes(), prev);
  assert.deepEqual(r, { ok: false, error: 'dns too many compression pointers' });
});

test('lengths past the end are rejected', () => {
  const full = cnameResponse();
  for (const cut of [5, 13, 20, 33, 40, 60, full.length - 1]) {
    const r = parseMessage(full.subarray(0, cut));
    assert.equal(r.ok, false, `cut at ${cut}`);
  }
  const labelPastEnd = new Writer().header(1, 0x8180, 1, 0).u8(30, 0x61, 0x62).bytes();
  assert.equal(reasonOf(labelPastEnd), 'dns name truncated');
  const w = new Writer().header(1, 0x8180, 0, 1).name('a').u16(TYPE_A).u16(1).u32(1).u16(400).u8(1, 2, 3, 4);
  assert.equal(reasonOf(w.bytes()), 'dns rdata truncated');
  const badA = new Writer().header(1, 0x8180, 0, 1);
  badA.rr(() => badA.name('a'), TYPE_A, 1, () => badA.u8(1, 2, 3));
  assert.equal(reasonOf(badA.bytes()), 'dns bad A record length');
  const cnamePast = new Writer().header(1, 0x8180, 0, 1).name('a').u16(TYPE_CNAME).u16(1).u32(1).u16(2).labels('bb').u8(0);
  assert.equal(reasonOf(cnamePast.bytes()), 'dns CNAME past rdata');
});

test('TC set: complete records before the cut are kept', () => {
  const full = cnameResponse();
  full[2]! |= 0x02; // TC
  const r = parseMessage(full.subarray(0, full.length - 20));
  assert.ok(r.ok);
  assert.equal(r.value.header.truncated, true);
  assert.equal(r.value.incomplete, true);
  assert.equal(r.value.answers.length, 4);
});

test('odd label bytes are escaped so one label never reads as two', () => {
  const w = new Writer().header(1, 0x8180, 1, 0).u8(3, 0x61, 0x2e, 0x62, 1, 0x07, 0).u16(1).u16(1);
  const r = parseMessage(w.bytes());
  assert.ok(r.ok);
  assert.equal(r.value.questions[0]!.name, 'a\\.b.\\007');
  assert.equal(sameName(r.value.questions[0]!.name, 'a.b'), false);
});

test('TTLs with the top bit set read as zero (RFC 2181)', () => {
  const w = new Writer().header(1, 0x8180, 0, 1);
  w.rr(() => w.name('a'), TYPE_A, 0x80000000, () => w.u8(1, 2, 3, 4));
  const r = parseMessage(w.bytes());
  assert.ok(r.ok);
  assert.equal(r.value.answers[0]!.ttl, 0);
});

test('robustness: random and mutated messages never throw', () => {
  let s = 7;
  const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const rnd: Random = { bytes: (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)) };
  const seeds = [cnameResponse(), buildQuery(5, 'a.b.example.org')!];
  for (let i = 0; i < 5000; i++) {
    let m: Uint8Array;
    if (i % 4 === 0) m = rnd.bytes(Math.floor(next() * 80));
    else {
      m = seeds[i % seeds.length]!.slice();
      for (let f = 0; f < 1 + Math.floor(next() * 5); f++) {
        const at = Math.floor(next() * m.length);
        // Bias towards bytes that look like pointers and lengths.
        m[at] = next() < 0.3 ? 0xc0 | Math.floor(next() * 4) : Math.floor(next() * 256);
      }
      if (next() < 0.2) m = m.subarray(0, Math.floor(next() * m.length));
    }
    const r = parseMessage(m);
    if (r.ok) for (const q of r.value.questions) addressesFor(q.name, r.value.answers);
  }
});
