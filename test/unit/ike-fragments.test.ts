/** IKE fragmentation (RFC 7383): fragments fit the limit, each is verified, reassembly is bounded, the task manager uses both. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthCipher, type AuthCipher } from '../../src/crypto/index.ts';
import { AES128_CBC, AES256_GCM16, HMAC_SHA256_128 } from '../../src/crypto/algorithms/index.ts';
import { decodeHeader, ExchangeType, findNotify, IdType, idPayload, notifyPayload, NotifyType, type IkeMessage, type Payload } from '../../src/ike/codec/index.ts';
import {
  encodeFragments, encodeProtected, isFragment, MAX_FRAGMENTS, MAX_REASSEMBLED_BYTES, maxIkeMessage, openFragment, REASSEMBLY_TIMEOUT_MS, Reassembly, type Fragment,
} from '../../src/ike/fragments.ts';
import { newIkeSa, type IkeSa } from '../../src/ike/ike-sa.ts';
import { TaskManager, type TaskManagerPorts } from '../../src/ike/task-manager.ts';
import type { Task } from '../../src/ike/task.ts';
import type { Random } from '../../src/platform.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { Rig } from './ike-session-rig.ts';

let seed = 7;
const random: Random = { bytes: (n) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) };
const key = (n: number, b: number) => new Uint8Array(n).fill(b);

/** Both directions of one SA: what the device seals, the gateway opens, and back. */
function ciphers(kind: 'gcm' | 'cbc'): { device: AuthCipher; gateway: AuthCipher; deviceIn: AuthCipher; gatewayOut: AuthCipher } {
  const make = (b: number): [AuthCipher, AuthCipher] => kind === 'gcm'
    ? [createAuthCipher({ encr: AES256_GCM16, encrKey: key(36, b), random }), createAuthCipher({ encr: AES256_GCM16, encrKey: key(36, b), random })]
    : [createAuthCipher({ encr: AES128_CBC, encrKey: key(16, b), integ: HMAC_SHA256_128, integKey: key(32, b), random }),
      createAuthCipher({ encr: AES128_CBC, encrKey: key(16, b), integ: HMAC_SHA256_128, integKey: key(32, b), random })];
  const [device, gateway] = make(1);
  const [gatewayOut, deviceIn] = make(2);
  return { device, gateway, deviceIn, gatewayOut };
}

const header = (messageId: number, response = false) => ({ spiI: key(8, 0xa1), spiR: key(8, 0xb2), exchange: ExchangeType.IKE_AUTH, initiator: true, response, messageId });
/** An IKE_AUTH-sized message: a long IDi and a notify with 2 KB of data (a certificate's size). */
const big: Payload[] = [idPayload('IDi', IdType.FQDN, utf8('device.example.net'.repeat(10))), notifyPayload(NotifyType.INITIAL_CONTACT, Uint8Array.from({ length: 2100 }, (_, i) => i & 0xff))];

function open(bytes: Uint8Array, c: AuthCipher): Fragment {
  const f = openFragment(bytes, c);
  if (!f.ok) assert.fail(`${f.error.code}: ${f.error.message}`);
  return f.value;
}

function whole(r: ReturnType<Reassembly['add']>): IkeMessage {
  assert.equal(r.kind, 'whole');
  if (r.kind !== 'whole' || !r.decoded.ok) assert.fail('not reassembled');
  return r.decoded.value.message;
}

for (const kind of ['gcm', 'cbc'] as const) {
  test(`${kind}: a 2.3 KB message goes as fragments of at most the limit, reassembled in any order to the same payloads`, () => {
    const c = ciphers(kind);
    const limit = maxIkeMessage(576, true);
    const frags = encodeFragments(header(1), big, c.device, limit);
    assert.ok(frags.length >= 5, `${frags.length} fragments`);
    for (const f of frags) {
      assert.ok(f.length <= limit, `fragment of ${f.length} > ${limit}`);
      assert.equal(isFragment(f), true);
      assert.equal(decodeHeader(f).ok, true);
    }
    const r = new Reassembly();
    const order = frags.map((_, i) => i).reverse();
    let last: ReturnType<Reassembly['add']> | undefined;
    for (const i of order) last = r.add(open(frags[i]!, c.gateway), 0);
    const msg = whole(last!);
    assert.equal(msg.messageId, 1);
    assert.deepEqual(msg.encrypted!.map((p) => p.kind), ['IDi', 'N']);
    assert.deepEqual(findNotify(msg, NotifyType.INITIAL_CONTACT)!.data, big[1]!.kind === 'N' ? big[1]!.data : undefined);
  });
}

test('a message that fits goes whole, one that does not goes fragmented; without the peer offering it, always whole', () => {
  const c = ciphers('gcm');
  const small = encodeProtected(header(1), [notifyPayload(NotifyType.INITIAL_CONTACT)], c.device, 548);
  assert.equal(small.length, 1);
  assert.equal(isFragment(small[0]!), false);
  assert.ok(encodeProtected(header(1), big, c.device, 548).length > 1);
  assert.equal(encodeProtected(header(1), big, c.device, undefined).length, 1);
});

test('a tampered fragment fails its integrity check and is never kept', () => {
  const c = ciphers('cbc');
  const frags = encodeFragments(header(1), big, c.device, 548);
  const bad = frags[1]!.slice();
  bad[bad.length - 20]! ^= 1;
  const r = openFragment(bad, c.gateway);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.code, 'icv');
  // The fragment numbers are authenticated too.
  const renumbered = frags[1]!.slice();
  renumbered[28 + 5] = 1;
  assert.equal(openFragment(renumbered, c.gateway).ok, false);
});

test('reassembly bounds: duplicates, too many fragments, too many bytes, an older fragmentation, a stale set', () => {
  const c = ciphers('gcm');
  const frags = encodeFragments(header(3), big, c.device, 548);
  const r = new Reassembly();
  assert.equal(r.add(open(frags[0]!, c.gateway), 0).kind, 'kept');
  const dup = r.add(open(frags[0]!, c.gateway), 0);
  assert.deepEqual(dup.kind === 'dropped' && dup.reason, 'duplicate fragment');

  // More fragments than we hold: refused at once.
  const many = encodeFragments(header(4), big, c.device, 256);
  const fake = { ...open(many[0]!, c.gateway), total: MAX_FRAGMENTS + 1 };
  const tooMany = r.add(fake, 0);
  assert.deepEqual(tooMany.kind === 'dropped' && tooMany.reason, 'too many fragments');

  // A total past the byte bound drops the whole set.
  const huge = new Reassembly();
  const part = open(frags[0]!, c.gateway);
  const chunk = new Uint8Array(MAX_REASSEMBLED_BYTES / 2 + 1);
  assert.equal(huge.add({ ...part, total: 3, number: 1, plaintext: chunk }, 0).kind, 'kept');
  const over = huge.add({ ...part, total: 3, number: 2, plaintext: chunk }, 0);
  assert.deepEqual(over.kind === 'dropped' && over.reason, 'fragmented message too large');

  // Re-fragmented smaller (larger total): start over; the old, smaller total is then late.
  const fresh = new Reassembly();
  const coarse = encodeFragments(header(5), big, c.device, 1200);
  const fine = encodeFragments(header(5), big, c.device, 548);
  assert.ok(fine.length > coarse.length);
  assert.equal(fresh.add(open(coarse[0]!, c.gateway), 0).kind, 'kept');
  let last: ReturnType<Reassembly['add']> | undefined;
  for (const f of fine) last = fresh.add(open(f, c.gateway), 0);
  whole(last!);
  assert.equal(fresh.add(open(fine[0]!, c.gateway), 0).kind, 'kept');
  const late = fresh.add(open(coarse[1]!, c.gateway), 0);
  assert.deepEqual(late.kind === 'dropped' && late.reason, 'fragment of an older fragmentation');

  // A set left incomplete past the timeout is forgotten: its fragments do not complete a later one.
  const stale = new Reassembly();
  for (const f of fine.slice(0, -1)) stale.add(open(f, c.gateway), 0);
  assert.equal(stale.add(open(fine.at(-1)!, c.gateway), REASSEMBLY_TIMEOUT_MS + 1).kind, 'kept');
});

// ---- the task manager ----

function keyedSa(c: ReturnType<typeof ciphers>): IkeSa {
  const sa = newIkeSa(key(8, 0xa1));
  sa.spiR = key(8, 0xb2);
  sa.cipherOut = c.device;
  sa.cipherIn = c.deviceIn;
  sa.fragmentation = true;
  sa.peerAuthenticated = true;
  return sa;
}

function rig(c: ReturnType<typeof ciphers>) {
  const sent: Uint8Array[] = [];
  const drops: string[] = [];
  const processed: IkeMessage[] = [];
  const answered: IkeMessage[] = [];
  const ports: TaskManagerPorts = {
    transmit: (w) => sent.push(w),
    retransmitted: () => {},
    respond: (msg) => {
      answered.push(msg);
      return { payloads: big };
    },
    done: () => {},
    failed: (_t, f) => assert.fail(`failed: ${f?.detail}`),
    heard: () => {},
    drop: (reason) => drops.push(reason),
    debug: () => {},
    maxMessage: () => maxIkeMessage(576, false),
  };
  const m = new TaskManager(keyedSa(c), ports, { firstTimeoutMs: 1000, tries: 3, factor: 2 }, 1);
  const task: Task = {
    name: 'IKE_AUTH', exchange: ExchangeType.IKE_AUTH,
    build: () => big,
    process: (_sa, msg) => (processed.push(msg), { kind: 'done' }),
    timedOut: () => undefined,
    abandon: () => {},
  };
  return { m, task, sent, drops, processed, answered };
}

test('task manager: a request over the MTU goes as fragments, retransmitted as the whole set; a fragmented response is processed once complete', () => {
  const c = ciphers('gcm');
  const { m, task, sent, drops, processed } = rig(c);
  m.queue(task, 0);
  const n = sent.length;
  assert.ok(n > 1, `${n} datagrams`);
  assert.ok(sent.every((w) => w.length <= 548));
  m.onTimer(1000);
  assert.equal(sent.length, 2 * n, 'the retransmission resends every fragment');
  // The gateway's fragmented response: integrity-checked one by one, a forged one dropped.
  const response = encodeFragments(header(1, true), big, c.gatewayOut, 548);
  const forged = response[0]!.slice();
  forged[forged.length - 1]! ^= 1;
  m.onResponse(ok(decodeHeader(forged)), forged, 1100);
  assert.deepEqual(drops, ['ICV check failed']);
  for (const f of response.slice(1)) m.onResponse(ok(decodeHeader(f)), f, 1100);
  assert.equal(processed.length, 0);
  m.onResponse(ok(decodeHeader(response[0]!)), response[0]!, 1100);
  assert.equal(processed.length, 1);
  assert.equal(processed[0]!.encrypted!.length, 2);
});

test('task manager: a fragmented gateway request is answered once whole; its retransmission is answered again on fragment 1 only', () => {
  const c = ciphers('cbc');
  const { m, sent, answered } = rig(c);
  const request = encodeFragments({ ...header(0), initiator: false }, big, c.gatewayOut, 548);
  for (const f of request) m.onRequest(ok(decodeHeader(f)), f, 0);
  assert.equal(answered.length, 1);
  const answer = sent.length;
  assert.ok(answer > 1, 'the big answer is fragmented too');
  for (const f of request.slice(1)) m.onRequest(ok(decodeHeader(f)), f, 10);
  assert.equal(sent.length, answer, 'later fragments of the retransmission draw nothing');
  m.onRequest(ok(decodeHeader(request[0]!)), request[0]!, 10);
  assert.equal(sent.length, 2 * answer, 'fragment 1 draws the whole answer again');
  assert.equal(answered.length, 1, 'and the request is not processed twice');
});

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
}

test('session: IKE_SA_INIT offers fragmentation; a gateway that does not offer it gets a big IKE_AUTH whole', () => {
  const r = new Rig({}, { localId: `${'d'.repeat(1400)}@example.com` }).start();
  assert.equal(r.session.state, 'established');
  const init = r.gw.received.find((m) => m.exchange === ExchangeType.IKE_SA_INIT)!;
  assert.ok(findNotify(init, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED), 'IKEV2_FRAGMENTATION_SUPPORTED in the request');
  const auth = r.sent.filter((s) => s.payload.length > 4 && s.payload[4 + 18] === ExchangeType.IKE_AUTH);
  assert.equal(auth.length, 1);
  assert.ok(auth[0]!.payload.length > 1500, `${auth[0]!.payload.length} bytes, not fragmented`);
});
