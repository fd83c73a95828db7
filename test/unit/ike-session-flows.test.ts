/** IkeSession flows against the in-process fake gateway, on a fake clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, deletePayload, ExchangeType, findNotify, findPayload, kePayload, noncePayload, NotifyType, ProtocolId, saPayload } from '../../src/ike/codec/index.ts';
import { readU32 } from '../../src/util/bytes.ts';
import { buildIpv4Packet, parseIpv4Packet, PROTO_UDP } from '../../src/ip/ipv4.ts';
import { buildUdp } from '../../src/ip/udp.ts';
import type { KeyLog } from '../../src/platform.ts';
import { Rig, withMarker } from './ike-session-rig.ts';
import { retainedBytes } from '../fuzz/retained.ts';

const initRequests = (r: Rig) => r.sent.filter((s) => s.port === 'ike' && s.payload[18] === ExchangeType.IKE_SA_INIT);

test('happy path: IKE_SA_INIT on 500, NAT detected, IKE_AUTH on 4500 with marker, CHILD SA installed', () => {
  const r = new Rig().start();
  assert.deepEqual(r.types(), ['ike-connecting', 'nat-detected', 'ike-up', 'child-up']);
  assert.deepEqual(r.last('nat-detected'), { type: 'nat-detected', local: true, remote: false });
  const up = r.last('child-up')!;
  assert.equal(up.virtualIp, '192.0.2.7');
  assert.deepEqual(up.dns, ['198.51.100.53']);
  assert.deepEqual(up.ts, { local: ['192.0.2.7/32'], remote: ['198.51.100.0/24'] });
  assert.equal(up.suite, 'aes128gcm16');
  assert.equal(up.udpEncap, true);
  assert.equal(r.session.state, 'established');
  assert.equal(r.gw.authOk, true, 'the gateway verified our AUTH');
  assert.equal(r.sent[0]!.port, 'ike');
  assert.equal(r.sent[1]!.port, 'nat-t');
  assert.deepEqual([...r.sent[1]!.payload.subarray(0, 4)], [0, 0, 0, 0], 'non-ESP marker');
  // IKE_AUTH carried what the brief asks for.
  const auth = r.gw.received[1]!;
  const ids = auth.encrypted!.map((p) => p.kind);
  assert.deepEqual(ids, ['IDi', 'N', 'IDr', 'AUTH', 'CP', 'SA', 'TSi', 'TSr', 'N']);
  assert.ok(r.gw.notify(auth, NotifyType.MOBIKE_SUPPORTED));
  assert.ok(r.gw.notify(auth, NotifyType.INITIAL_CONTACT));
  const tsi = auth.encrypted!.find((p) => p.kind === 'TSi');
  assert.ok(tsi?.kind === 'TSi' && tsi.selectors[0]!.startAddress.join('.') === '0.0.0.0' && tsi.selectors[0]!.endAddress.join('.') === '255.255.255.255');
  // The gateway's inbound ESP SA opens what our outbound SA protects: keys and SPIs line up.
  const child = r.child!;
  const src = Uint8Array.of(192, 0, 2, 7), dst = Uint8Array.of(198, 51, 100, 10);
  const inner = buildIpv4Packet({ src, dst, protocol: PROTO_UDP, identification: 1 }, buildUdp(src, dst, 1234, 7, Uint8Array.of(1, 2, 3)));
  const opened = r.gw.espInbound().open(child.outbound.protect(inner)!);
  assert.ok(opened && parseIpv4Packet(opened).ok);
  assert.deepEqual(opened, inner);
  r.runUntil(r.now + 2000); // a quiet moment: the key pair of the next key exchange is made in a turn of its own
  assert.equal(r.session.deadline(), undefined, 'nothing to do: no DPD, no keepalive configured');
});

test('COOKIE (RFC 7296 2.6): resend IKE_SA_INIT with the COOKIE first, same SPIi and nonce', () => {
  const r = new Rig({ cookie: true }).start();
  assert.equal(r.session.state, 'established');
  const [first, second] = r.gw.received;
  assert.equal(first!.payloads[0]!.kind, 'SA');
  const cookie = second!.payloads[0]!;
  assert.ok(cookie.kind === 'N' && cookie.notifyType === NotifyType.COOKIE);
  assert.deepEqual(second!.spiI, first!.spiI);
  assert.deepEqual(findPayload(second!, 'Nonce')!.data, findPayload(first!, 'Nonce')!.data);
  assert.equal(r.gw.authOk, true, 'AUTH signs the request that carried the COOKIE');
});

test('INVALID_KE_PAYLOAD: retry with the group the gateway names when configured', () => {
  const r = new Rig({ group: 19 }, { ikeProposals: ['aes128gcm16-prfsha256-x25519', 'aes128gcm16-prfsha256-ecp256'] }).start();
  assert.equal(r.session.state, 'established');
  assert.deepEqual(r.gw.received.filter((m) => m.exchange === ExchangeType.IKE_SA_INIT).map((m) => findPayload(m, 'KE')!.group), [31, 19]);
  assert.equal(r.last('ike-up')!.suite, 'aes128gcm16-prfsha256-ecp256');
  assert.equal(r.last('ike-up')!.attempt, 1);
});

test('INVALID_KE_PAYLOAD for a group we may not use: unauthenticated, so the request stays out (RFC 7296 2.21); then a clear permanent error and slow retries that never stop', () => {
  // Group 2 (MODP1024, Azure's default): never offered (RFC 8247), whatever the proposals say.
  const r = new Rig({ group: 2 }, {}, {}, { quickAttempts: 2, quickMs: 1000 }).start();
  assert.equal(r.events.filter((e) => e.type === 'ike-error').length, 0, 'no error while a valid answer may still come');
  r.runUntil(31_000);
  assert.equal(r.last('ike-error')!.cause, 'INVALID_KE_PAYLOAD');
  assert.match(r.last('ike-error')!.detail, /group 2 is too weak and not offered, RFC 8247 2\.4\): set the gateway's DH group to modp2048 \(14\), ecp256 \(19\) or ecp384 \(20\)/);
  assert.equal(initRequests(r).length, 5, 'every retransmission went out');
  r.runUntil(70_000);
  const errors = r.events.filter((e): e is Extract<typeof e, { type: 'ike-error' }> => e.type === 'ike-error');
  assert.deepEqual(errors.map((e) => [e.attempt, e.permanent]), [[1, true], [2, true]]);
  assert.ok(errors[0]!.retryInMs >= 800 && errors[0]!.retryInMs <= 1200, `a quick second attempt: ${errors[0]!.retryInMs} ms`);
  assert.ok(errors[1]!.retryInMs >= 0.8 * 1_800_000, `then the longest wait: ${errors[1]!.retryInMs} ms`);
  assert.equal(r.session.state, 'waiting');
  assert.ok(r.session.deadline()! <= r.now + 1.2 * 1_800_000, 'the next attempt is scheduled: the device never gives up');
  r.runUntil(r.now + 2_200_000);
  assert.equal(r.last('ike-connecting')!.attempt, 3);
});

test('refuses a responder choice that was never offered', () => {
  const r = new Rig({
    ikeChoice: () => ({ number: 1, protocolId: ProtocolId.IKE, spi: new Uint8Array(0), transforms: [{ type: 1, id: 28 }, { type: 2, id: 5 }, { type: 4, id: 31 }] }),
  }).start();
  r.runUntil(31_000); // unauthenticated: acted on only when no valid answer came
  const e = r.last('ike-error')!;
  assert.equal(e.cause, 'PROPOSAL_MISMATCH');
  assert.equal(e.permanent, true);
  assert.match(e.detail, /did not offer/);
  assert.equal(r.session.state, 'waiting');
});

test('gateway error notifies become clear causes', () => {
  for (const [notify, cause] of [
    [NotifyType.NO_PROPOSAL_CHOSEN, 'NO_PROPOSAL_CHOSEN'], [NotifyType.TS_UNACCEPTABLE, 'TS_UNACCEPTABLE'],
    [NotifyType.FAILED_CP_REQUIRED, 'FAILED_CP_REQUIRED'], [NotifyType.INTERNAL_ADDRESS_FAILURE, 'INTERNAL_ADDRESS_FAILURE'],
    [NotifyType.AUTHENTICATION_FAILED, 'AUTHENTICATION_FAILED'],
  ] as const) {
    const r = new Rig({ authError: notify }).start();
    assert.equal(r.last('ike-error')!.cause, cause, `notify ${notify}`);
  }
  const r = new Rig({ initError: NotifyType.NO_PROPOSAL_CHOSEN }).start();
  r.runUntil(31_000);
  assert.equal(r.last('ike-error')!.cause, 'NO_PROPOSAL_CHOSEN');
});

test('wrong PSK on our side: AUTHENTICATION_FAILED from the gateway', () => {
  const r = new Rig({ psk: 'the-gateway-psk' }, {}).start();
  assert.equal(r.last('ike-error')!.cause, 'AUTHENTICATION_FAILED');
  assert.equal(r.gw.authOk, false);
});

test('gateway AUTH signed with another PSK: PEER_AUTH_MISMATCH, and we DELETE the IKE SA it holds', () => {
  const r = new Rig({ signPsk: 'impostor' }, {}).start();
  assert.equal(r.last('ike-error')!.cause, 'PEER_AUTH_MISMATCH');
  const del = r.gw.received.at(-1)!;
  assert.equal(del.exchange, ExchangeType.INFORMATIONAL);
  assert.equal(del.encrypted![0]!.kind, 'D');
});

test('gateway identity other than remoteId: PEER_ID_MISMATCH', () => {
  const r = new Rig({ id: 'evil.example.org' }, { sendRemoteId: false }).start();
  const e = r.last('ike-error')!;
  assert.equal(e.cause, 'PEER_ID_MISMATCH');
  assert.match(e.detail, /evil\.example\.org/);
  assert.ok(!r.gw.received[1]!.encrypted!.some((p) => p.kind === 'IDr'), 'no IDr sent when told so');
});

test('narrowing outside the requested TSr is refused', () => {
  const r = new Rig({ tsr: ['198.51.0.0', '198.51.255.255'] }, {}).start();
  assert.equal(r.last('ike-error')!.cause, 'TS_MISMATCH');
});

test('retransmission: 0, 1, 3, 7, 15 s, TIMEOUT at 31 s; a quick second attempt, then waits that grow; never silence', () => {
  const r = new Rig({}, {}, {}, { quickAttempts: 2, quickMs: 5000, intervalMs: 60_000 });
  r.gatewayAlive = false;
  r.start();
  r.runUntil(31_000);
  assert.deepEqual(initRequests(r).map((s) => s.at), [0, 1000, 3000, 7000, 15000]);
  const first = r.last('ike-error')!;
  assert.deepEqual({ ...first, retryInMs: 0 }, { type: 'ike-error', cause: 'TIMEOUT', detail: first.detail, attempt: 1, retryInMs: 0, permanent: false });
  r.runUntil(100_000);
  const second = initRequests(r).slice(5).map((s) => s.at);
  const start2 = second[0]!;
  assert.ok(start2 >= 31_000 + 4000 && start2 <= 31_000 + 6000, `second attempt 5 s ± 20 % after the first gave up: ${start2}`);
  assert.deepEqual(second.map((t) => t - start2), [0, 1000, 3000, 7000, 15000]);
  const wait = r.last('ike-error')!.retryInMs;
  assert.ok(wait >= 48_000 && wait <= 72_000, `then the slow interval, 60 s ± 20 %: ${wait}`);
  r.runUntil(start2 + 31_000 + wait);
  assert.equal(r.last('ike-connecting')!.attempt, 3, 'and it keeps trying');
  assert.equal(r.session.counters.retransmits, 8);
});

test('gateway requests: liveness check answered empty, retransmitted request gets the same answer, DELETE restarts', () => {
  const r = new Rig({}, {}, { restartDelayMs: 1000 }).start();
  const n = r.sent.length;
  const check = r.gw.request([]);
  r.inject(check);
  r.inject(check); // a retransmission
  assert.equal(r.sent.length, n + 2);
  const a = r.sent[n]!.payload, b = r.sent[n + 1]!.payload;
  assert.deepEqual(a, b, 'identical answer to the retransmitted request');
  const answer = r.gw.decodeResponse(a.subarray(4));
  assert.ok(answer.response && answer.messageId === 0 && answer.encrypted!.length === 0);
  assert.equal(r.session.counters.peerRequests, 1);

  r.inject(r.gw.deleteIke());
  assert.deepEqual(r.types().slice(-2), ['child-down', 'ike-down']);
  assert.equal(r.session.state, 'waiting');
  r.runUntil(r.now + 1000);
  assert.equal(r.last('ike-connecting')!.attempt, 1, 'starts over, attempts counted from 1 again');
  assert.equal(r.session.state, 'established');
});

test('gateway DELETEs the CHILD SA: we answer with our inbound SPI, delete the IKE SA and start over', () => {
  const r = new Rig({}, {}, { restartDelayMs: 500 }).start();
  const spiIn = r.child!.spiIn;
  const n = r.sent.length;
  r.inject(r.gw.deleteChild());
  const answer = r.gw.decodeResponse(r.sent[n]!.payload.subarray(4));
  const d = answer.encrypted![0]!;
  assert.ok(d.kind === 'D' && d.protocolId === ProtocolId.ESP);
  assert.equal(Buffer.from(d.spis[0]!).readUInt32BE(0), spiIn);
  const del = decodeMessage(r.sent[n + 1]!.payload.subarray(4), r.gw.sa!.cipherIn);
  assert.ok(del.ok && del.value.message.encrypted![0]!.kind === 'D');
  assert.equal(r.last('child-down')!.reason, 'gateway deleted the CHILD SA');
  r.runUntil(r.now + 500);
  assert.equal(r.session.state, 'established');
});

test('DPD (RFC 7296 2.4): only when what we sent went unanswered for dpdInterval, or nothing came for dpdIdle; no answer: ike-down and restart', () => {
  const r = new Rig({}, { dpdInterval: 30, dpdIdle: 600 }, { restartDelayMs: 2000 }).start();
  r.runUntil(599_999);
  assert.equal(r.session.counters.dpdRequests, 0, 'an idle tunnel costs no DPD before dpdIdle');
  r.runUntil(600_000);
  const idle = r.sent.at(-1)!;
  assert.equal(idle.at, 600_000);
  assert.equal(idle.payload[4 + 18], ExchangeType.INFORMATIONAL);
  assert.equal(r.session.counters.dpdRequests, 1);
  assert.equal(r.session.state, 'established', 'answered: still up');
  const child = r.child!;
  // We send; the gateway answers with ESP: no DPD.
  r.session.noteEsp('out', child, 610_000);
  r.session.noteEsp('in', child, 611_000);
  r.runUntil(650_000);
  assert.equal(r.session.counters.dpdRequests, 1);
  // We send and nothing comes back: a DPD dpdInterval after the first unanswered packet.
  r.session.noteEsp('out', child, 660_000);
  r.session.noteEsp('out', child, 670_000);
  r.runUntil(689_999);
  assert.equal(r.session.counters.dpdRequests, 1);
  r.runUntil(690_000);
  assert.equal(r.session.counters.dpdRequests, 2);
  // ESP comes back (else 60 s of ESP silence with IKE answered is a one-way path: ike-session-mobility.test.ts).
  r.session.noteEsp('in', r.child!, 695_000);
  r.gatewayAlive = false;
  r.session.noteEsp('out', r.child!, 700_000);
  r.runUntil(730_000 + 31_000);
  assert.equal(r.last('ike-down')!.reason, 'gateway stopped answering (DPD)');
  r.gatewayAlive = true;
  r.runUntil(r.now + 3000);
  assert.equal(r.session.state, 'established');
});

test('NAT keepalives: 0xFF on 4500 after natKeepalive s without outbound traffic there', () => {
  const r = new Rig({}, { natKeepalive: 20 }).start();
  r.runUntil(20_000);
  assert.deepEqual(r.sent.at(-1), { at: 20_000, port: 'nat-t', payload: Uint8Array.of(0xff) });
  r.session.noteEsp('out', r.child!, 35_000);
  r.runUntil(54_000);
  assert.equal(r.session.counters.keepalives, 1, 'ESP sent at 35 s pushed the next one to 55 s');
  r.runUntil(55_000);
  assert.equal(r.session.counters.keepalives, 2);
});

test('bad input is dropped and counted, never thrown', () => {
  const r = new Rig().start();
  const before = r.session.counters.dropped;
  r.session.input(new Uint8Array(0), 'ike', r.now);
  r.session.input(Uint8Array.of(1, 2, 3), 'nat-t', r.now);
  r.session.input(new Uint8Array(100).fill(0xab), 'ike', r.now);
  r.session.input(withMarker(new Uint8Array(40)), 'nat-t', r.now);
  r.session.input(Uint8Array.of(0xff), 'nat-t', r.now); // keepalive: ignored, not a drop
  // A valid request with one ciphertext byte flipped: ICV failure.
  const check = r.gw.request([]);
  check[check.length - 20]! ^= 0x40;
  r.inject(check);
  // A request with the wrong SPI.
  const other = r.gw.request([]);
  other[0]! ^= 1;
  r.inject(other);
  // A stale duplicate of the IKE_AUTH response (message ID 1, nothing outstanding).
  const dup = r.gw.encrypted(ExchangeType.IKE_AUTH, 1, true, []);
  r.inject(dup);
  // A response with a message ID we never used.
  r.inject(r.gw.encrypted(ExchangeType.INFORMATIONAL, 9, true, []));
  const drops = r.session.dropCounts();
  assert.equal(r.session.counters.dropped - before, 8, JSON.stringify(drops));
  assert.equal(drops['ICV check failed'], 1);
  assert.equal(drops['unknown IKE SPI'], 1);
  assert.equal(drops['duplicate response'], 1);
  assert.equal(drops['response with a wrong message ID'], 1);
  assert.equal(r.session.state, 'established');
});

test('close(): one DELETE for the IKE SA, child-down and ike-down, then nothing scheduled', () => {
  const r = new Rig({}, { dpdInterval: 10, natKeepalive: 20 }).start();
  r.session.close(r.now);
  const del = r.gw.received.at(-1)!;
  assert.equal(del.exchange, ExchangeType.INFORMATIONAL);
  assert.ok(del.encrypted![0]!.kind === 'D' && del.encrypted![0]!.protocolId === ProtocolId.IKE);
  assert.deepEqual(r.types().slice(-2), ['child-down', 'ike-down']);
  assert.equal(r.session.state, 'closed');
  assert.equal(r.session.deadline(), undefined);
  r.flush(); // the gateway's answer to our DELETE is recognised, not counted as a drop
  assert.equal(r.session.counters.dropped, 0);
});

test('lifetime: the CHILD SA is rekeyed when childLifetime ends; a gateway refusing the rekey makes it start over', () => {
  const r = new Rig({ rekeyError: NotifyType.NO_PROPOSAL_CHOSEN }, { ikeLifetime: 3600, childLifetime: 1200 }).start();
  r.runUntil(1_199_999);
  assert.equal(r.events.filter((e) => e.type === 'child-up').length, 1, 'nothing before the lifetime ends');
  r.runUntil(1_200_000);
  const rekey = r.gw.received.find((m) => m.exchange === ExchangeType.CREATE_CHILD_SA);
  assert.ok(rekey && findNotify(rekey, NotifyType.REKEY_SA), 'a CREATE_CHILD_SA with REKEY_SA went out');
  assert.match(r.last('ike-down')!.reason, /rekey failed \(NO_PROPOSAL_CHOSEN\)/);
  assert.equal(r.session.state, 'established');
  assert.equal(r.events.filter((e) => e.type === 'child-up').length, 2);
});

test('lifetime: TEMPORARY_FAILURE to our rekey → asked again 3 s later, the tunnel stays up meanwhile', () => {
  const r = new Rig({ rekeyError: NotifyType.TEMPORARY_FAILURE }, { ikeLifetime: 0, childLifetime: 600 }).start();
  r.runUntil(600_000);
  r.runUntil(602_999);
  const rekeys = () => r.gw.received.filter((m) => m.exchange === ExchangeType.CREATE_CHILD_SA && !m.response).length;
  assert.equal(rekeys(), 1);
  r.runUntil(603_000);
  assert.equal(rekeys(), 2);
  assert.ok(!r.events.some((e) => e.type === 'child-down'));
});

test("the gateway's IKE SA rekey gets TEMPORARY_FAILURE and we send our own IKE rekey at once", () => {
  const r = new Rig({ rekeyError: NotifyType.TEMPORARY_FAILURE }).start();
  const before = r.sent.length;
  const ikeProposal = { number: 1, protocolId: ProtocolId.IKE, spi: new Uint8Array(8).fill(7), transforms: [] };
  r.inject(r.gw.request([saPayload([ikeProposal]), noncePayload(new Uint8Array(32)), kePayload(31, new Uint8Array(32).fill(9))], ExchangeType.CREATE_CHILD_SA));
  const answer = r.gw.decodeResponse(r.sent[before]!.payload.subarray(4));
  assert.ok(findNotify(answer, NotifyType.TEMPORARY_FAILURE), 'answered TEMPORARY_FAILURE');
  r.runUntil(r.now);
  const ours = r.gw.received.filter((m) => m.exchange === ExchangeType.CREATE_CHILD_SA && !m.response);
  assert.equal(ours.length, 1, 'our own IKE SA rekey went out');
  assert.equal(findPayload(ours[0]!, 'SA')!.proposals[0]!.protocolId, ProtocolId.IKE);
  assert.ok(findPayload(ours[0]!, 'KE'), 'with a fresh KE');
});

test("the gateway's CHILD SA rekey is answered: new SPIs, the other KEYMAT half outbound, the old pair receives until deleted", () => {
  const r = new Rig().start();
  const old = r.child!;
  const before = r.sent.length;
  const { request, spi, nonce } = r.gw.rekeyChildRequest();
  r.inject(request);
  const answer = r.gw.decodeResponse(r.sent[before]!.payload.subarray(4));
  const sa = findPayload(answer, 'SA')!;
  assert.equal(sa.proposals.length, 1);
  assert.equal(sa.proposals[0]!.protocolId, ProtocolId.ESP);
  const nonceR = findPayload(answer, 'Nonce')!.data;
  const rekeyed = r.last('child-rekeyed')!;
  assert.equal(rekeyed.by, 'gateway');
  assert.equal(rekeyed.previousSpiIn, old.spiIn);
  const child = r.child!;
  assert.notEqual(child, old);
  assert.equal(child.spiOut, readU32(spi, 0), "outbound goes under the gateway's new SPI");
  assert.equal(child.spiIn, readU32(sa.proposals[0]!.spi, 0));
  // The gateway initiated: what we send uses the responder-to-initiator keys.
  const src = Uint8Array.of(192, 0, 2, 7), dst = Uint8Array.of(198, 51, 100, 10);
  const inner = buildIpv4Packet({ src, dst, protocol: PROTO_UDP, identification: 1 }, buildUdp(src, dst, 1000, 7, Uint8Array.of(1, 2, 3)));
  assert.deepEqual(r.gw.rekeyedInbound(spi, nonce, nonceR).open(child.outbound.protect(inner)!), inner, 'the gateway decrypts what the device sends on the new SA');
  assert.ok(!r.events.some((e) => e.type === 'child-down'), 'no teardown');
  // The gateway then deletes the old pair: we answer with our old inbound SPI.
  const del = r.sent.length;
  r.inject(r.gw.request([deletePayload(ProtocolId.ESP, [r.gw.sa!.espSpiR!])]));
  const delAnswer = r.gw.decodeResponse(r.sent[del]!.payload.subarray(4));
  assert.equal(readU32(findPayload(delAnswer, 'D')!.spis[0]!, 0), old.spiIn);
  assert.equal(r.session.state, 'established');
  assert.equal(r.child, child);
});

test('keys reach only the KeyLog; the log never carries the PSK or key bytes', async () => {
  const { Logger } = await import('../../src/util/log.ts');
  const { PSK } = await import('./ike-session-rig.ts');
  const { toHex } = await import('../../src/util/bytes.ts');
  const lines: string[] = [];
  const ikeKeys: Uint8Array[] = [];
  const espEntries: Array<{ spi: number; encryptionKey: Uint8Array }> = [];
  const log = new Logger((level, component, message) => lines.push(`${level} ${component} ${message}`), 'ike', 'debug');
  const keyLog = {
    ikeSa: (e: { skEi: Uint8Array; skEr: Uint8Array }) => ikeKeys.push(e.skEi.slice(), e.skEr.slice()),
    espSa: (e: { spi: number; encryptionKey: Uint8Array }) => espEntries.push({ ...e, encryptionKey: e.encryptionKey.slice() }),
  };
  const r = new Rig({}, {}, {}, {}, log, keyLog as unknown as KeyLog).start();
  assert.equal(r.session.state, 'established');
  assert.equal(ikeKeys.length, 2);
  assert.equal(espEntries.length, 2, 'one entry per direction');
  assert.ok(lines.length > 0);
  const text = lines.join('\n');
  assert.ok(!text.includes(PSK));
  for (const k of [...ikeKeys, ...espEntries.map((e) => e.encryptionKey)]) assert.ok(!text.includes(toHex(k)), 'no key in the log');
});

test('a late duplicate INVALID_KE_PAYLOAD (answer to the replaced request) is ignored, not fatal', () => {
  const r = new Rig({ group: 19 }, { ikeProposals: ['aes128gcm16-prfsha256-x25519-ecp256'] });
  r.gatewayAlive = false;
  r.start();
  const invalidKe = r.gw.handle(r.sent[0]!.payload)!;
  r.inject(invalidKe, 'ike');
  assert.equal(r.sent.length, 2, 'resent with ecp256');
  r.inject(invalidKe, 'ike');
  assert.equal(r.session.dropCounts()['response not acted on'], 1);
  assert.equal(r.session.state, 'connecting');
  assert.equal(r.events.filter((e) => e.type === 'ike-error').length, 0);
  r.inject(r.gw.handle(r.sent[1]!.payload)!, 'ike');
  r.gatewayAlive = true;
  r.runUntil(1000); // the IKE_AUTH retransmission reaches the gateway now
  assert.equal(r.session.state, 'established');
});

/**
 * RFC 7296 2.8.1: both ends rekey the same CHILD SA at once. The gateway's request reaches us while
 * ours is in flight; both are answered; the SA whose exchange holds the lowest nonce is redundant and
 * deleted by whoever created it. The gateway's nonces are chosen to decide who wins.
 */
function rekeyCollision(gatewayNonceI: number, gatewayNonceR: number) {
  const r = new Rig({ rekeyNonceR: new Uint8Array(32).fill(gatewayNonceR) }, { childLifetime: 600 }).start();
  const old = r.child!;
  r.gatewayAlive = false; // our rekey request goes out but is not answered yet
  r.runUntil(600_000);
  const ourRequest = r.sent.at(-1)!.payload;
  const ourNewSpiIn = readU32(findPayload(r.gw.decodeResponse(ourRequest.subarray(4)), 'SA')!.proposals[0]!.spi, 0);
  r.gatewayAlive = true;
  const crossing = r.gw.rekeyChildRequest(new Uint8Array(32).fill(gatewayNonceI));
  const beforeAnswer = r.sent.length;
  r.inject(crossing.request);
  const answered = r.gw.decodeResponse(r.sent[beforeAnswer]!.payload.subarray(4));
  assert.ok(findPayload(answered, 'SA'), "the gateway's crossing rekey is answered, not refused");
  const deletesBefore = r.sent.length;
  r.inject(r.gw.handle(ourRequest.subarray(4))!); // now the gateway answers ours
  const deletes = r.sent.slice(deletesBefore).map((x) => r.gw.decodeResponse(x.payload.subarray(4))).filter((m) => !m.response && findPayload(m, 'D'));
  assert.equal(deletes.length, 1, 'we delete exactly one pair');
  return { r, old, crossing, ourNewSpiIn, deleted: readU32(findPayload(deletes[0]!, 'D')!.spis[0]!, 0) };
}

test('rekey collision, our exchange holds no lowest nonce: ours wins, we delete the old pair, the gateway deletes its redundant one', () => {
  const { r, old, crossing, deleted } = rekeyCollision(0x00, 0xff);
  assert.equal(deleted, old.spiIn, 'we delete the replaced pair');
  assert.equal(r.child!.spiOut, readU32(r.gw.acceptedRekeySpi!, 0), 'traffic goes on our replacement');
  assert.equal(r.last('child-rekeyed')!.by, 'device');
  // The gateway deletes its redundant replacement; we answer with our side of it, nothing is torn down.
  const del = r.sent.length;
  r.inject(r.gw.request([deletePayload(ProtocolId.ESP, [crossing.spi])]));
  assert.ok(findPayload(r.gw.decodeResponse(r.sent[del]!.payload.subarray(4)), 'D'), 'answered with our inbound SPI of it');
  assert.equal(r.events.filter((e) => e.type === 'child-rekeyed').length, 1);
  assert.ok(!r.events.some((e) => e.type === 'child-down'));
  assert.equal(r.session.state, 'established');
});

test("rekey collision, our exchange holds the lowest nonce: the gateway's replacement wins, we delete ours", () => {
  const { r, old, crossing, ourNewSpiIn, deleted } = rekeyCollision(0xff, 0x00);
  assert.equal(deleted, ourNewSpiIn, 'we delete our redundant replacement; the old pair is left for the gateway');
  assert.equal(r.child!.spiOut, readU32(crossing.spi, 0), "traffic goes on the gateway's replacement");
  assert.equal(r.last('child-rekeyed')!.by, 'gateway');
  // The gateway, as the winner, deletes the old pair.
  const del = r.sent.length;
  r.inject(r.gw.request([deletePayload(ProtocolId.ESP, [r.gw.sa!.espSpiR!])]));
  assert.equal(readU32(findPayload(r.gw.decodeResponse(r.sent[del]!.payload.subarray(4)), 'D')!.spis[0]!, 0), old.spiIn);
  assert.ok(!r.events.some((e) => e.type === 'child-down'));
  assert.equal(r.session.state, 'established');
});

test('espProposals with a DH group: our CHILD SA rekey carries a KE in it (PFS); a gateway rekey without one is refused', () => {
  const r = new Rig({ rekeyError: NotifyType.TEMPORARY_FAILURE }, { espProposals: ['aes128gcm16-x25519'], childLifetime: 600 }).start();
  const auth = r.gw.received.find((m) => m.exchange === ExchangeType.IKE_AUTH)!;
  assert.ok(findPayload(auth, 'SA')!.proposals[0]!.transforms.every((t) => t.type !== 4), 'the CHILD SA of IKE_AUTH offers no DH (RFC 7296 1.2)');
  r.runUntil(600_000);
  const rekey = r.gw.received.find((m) => m.exchange === ExchangeType.CREATE_CHILD_SA && !m.response)!;
  assert.equal(findPayload(rekey, 'KE')?.group, 31, 'KE x25519');
  assert.ok(findPayload(rekey, 'SA')!.proposals[0]!.transforms.some((t) => t.type === 4 && t.id === 31), 'the proposal names x25519');
  const before = r.sent.length;
  r.inject(r.gw.rekeyChildRequest().request);
  const answer = r.gw.decodeResponse(r.sent[before]!.payload.subarray(4));
  assert.ok(findNotify(answer, NotifyType.NO_PROPOSAL_CHOSEN), 'refused: no PFS offered');
  assert.equal(r.session.state, 'established');
});

test('2,000 CHILD SA rekeys by the gateway leave the session holding what 200 left (years of rekeys on an 87 KB heap)', () => {
  const r = new Rig().start();
  let rekeys = 0;
  const rekeyAndDeleteOld = () => {
    const gw = r.gw.sa!;
    const old = gw.espSpiR!;
    const { request, spi } = r.gw.rekeyChildRequest();
    r.inject(request);
    r.inject(r.gw.request([deletePayload(ProtocolId.ESP, [old])]));
    gw.espSpiR = spi;
    r.runUntil(r.now + 60_000);
    rekeys += r.events.filter((e) => e.type === 'child-rekeyed').length;
    // The rig's own records would grow; the session's must not.
    r.events.length = 0;
    r.sent.length = 0;
    r.gw.received.length = 0;
  };
  const retained = () => retainedBytes({ session: r.session, children: r.children }, new Set<object>([r.gw]));
  for (let i = 0; i < 200; i++) rekeyAndDeleteOld();
  const after200 = retained();
  for (let i = 0; i < 1800; i++) rekeyAndDeleteOld();
  assert.equal(rekeys, 2000);
  assert.equal(r.session.state, 'established');
  assert.ok(Math.abs(retained() - after200) <= 64, `retained after 200 rekeys ${after200} B, after 2,000 ${retained()} B`);
});
