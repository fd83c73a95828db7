/** IkeSession flows against the in-process fake gateway, on a fake clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, ExchangeType, findPayload, NotifyType, ProtocolId } from '../../src/ike/codec/index.ts';
import { buildIpv4Packet, parseIpv4Packet, PROTO_UDP } from '../../src/ip/ipv4.ts';
import { buildUdp } from '../../src/ip/udp.ts';
import { Rig, withMarker } from './ike-session-rig.ts';

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
  assert.deepEqual(ids, ['IDi', 'N', 'IDr', 'AUTH', 'CP', 'SA', 'TSi', 'TSr']);
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

test('INVALID_KE_PAYLOAD for a group we may not use: clear error, bounded attempts, no retry storm', () => {
  const r = new Rig({ group: 19 }, { maxAttempts: 2 }, { retryBaseMs: 1000 }).start();
  assert.equal(r.last('ike-error')!.cause, 'INVALID_KE_PAYLOAD');
  r.runUntil(60_000);
  const errors = r.events.filter((e) => e.type === 'ike-error');
  assert.deepEqual(errors.map((e) => [e.type === 'ike-error' && e.attempt, e.type === 'ike-error' && e.fatal]), [[1, false], [2, true]]);
  assert.equal(initRequests(r).length, 2);
  assert.equal(r.session.state, 'failed');
  assert.equal(r.session.deadline(), undefined);
});

test('refuses a responder choice that was never offered', () => {
  const r = new Rig({
    ikeChoice: () => ({ number: 1, protocolId: ProtocolId.IKE, spi: new Uint8Array(0), transforms: [{ type: 1, id: 20, keyLength: 256 }, { type: 2, id: 5 }, { type: 4, id: 31 }] }),
  }, { maxAttempts: 1 }).start();
  const e = r.last('ike-error')!;
  assert.equal(e.cause, 'PROPOSAL_MISMATCH');
  assert.equal(e.fatal, true);
  assert.match(e.detail, /did not offer/);
  assert.equal(r.session.state, 'failed');
});

test('gateway error notifies become clear causes', () => {
  for (const [notify, cause] of [
    [NotifyType.NO_PROPOSAL_CHOSEN, 'NO_PROPOSAL_CHOSEN'], [NotifyType.TS_UNACCEPTABLE, 'TS_UNACCEPTABLE'],
    [NotifyType.FAILED_CP_REQUIRED, 'FAILED_CP_REQUIRED'], [NotifyType.INTERNAL_ADDRESS_FAILURE, 'INTERNAL_ADDRESS_FAILURE'],
    [NotifyType.AUTHENTICATION_FAILED, 'AUTHENTICATION_FAILED'],
  ] as const) {
    const r = new Rig({ authError: notify }, { maxAttempts: 1 }).start();
    assert.equal(r.last('ike-error')!.cause, cause, `notify ${notify}`);
  }
  const r = new Rig({ initError: NotifyType.NO_PROPOSAL_CHOSEN }, { maxAttempts: 1 }).start();
  assert.equal(r.last('ike-error')!.cause, 'NO_PROPOSAL_CHOSEN');
});

test('wrong PSK on our side: AUTHENTICATION_FAILED from the gateway', () => {
  const r = new Rig({ psk: 'the-gateway-psk' }, { maxAttempts: 1 }).start();
  assert.equal(r.last('ike-error')!.cause, 'AUTHENTICATION_FAILED');
  assert.equal(r.gw.authOk, false);
});

test('gateway AUTH signed with another PSK: PEER_AUTH_MISMATCH, and we DELETE the IKE SA it holds', () => {
  const r = new Rig({ signPsk: 'impostor' }, { maxAttempts: 1 }).start();
  assert.equal(r.last('ike-error')!.cause, 'PEER_AUTH_MISMATCH');
  const del = r.gw.received.at(-1)!;
  assert.equal(del.exchange, ExchangeType.INFORMATIONAL);
  assert.equal(del.encrypted![0]!.kind, 'D');
});

test('gateway identity other than remoteId: PEER_ID_MISMATCH', () => {
  const r = new Rig({ id: 'evil.example.org' }, { maxAttempts: 1 }, { sendRemoteId: false }).start();
  const e = r.last('ike-error')!;
  assert.equal(e.cause, 'PEER_ID_MISMATCH');
  assert.match(e.detail, /evil\.example\.org/);
  assert.ok(!r.gw.received[1]!.encrypted!.some((p) => p.kind === 'IDr'), 'no IDr sent when told so');
});

test('narrowing outside the requested TSr is refused', () => {
  const r = new Rig({ tsr: ['198.51.0.0', '198.51.255.255'] }, { maxAttempts: 1 }).start();
  assert.equal(r.last('ike-error')!.cause, 'TS_MISMATCH');
});

test('retransmission: 0, 1, 3, 7, 15 s, TIMEOUT at 31 s; backoff between attempts; final error; then silence', () => {
  const r = new Rig({}, { maxAttempts: 2 }, { retryBaseMs: 5000 });
  r.gatewayAlive = false;
  r.start();
  r.runUntil(31_000);
  assert.deepEqual(initRequests(r).map((s) => s.at), [0, 1000, 3000, 7000, 15000]);
  assert.deepEqual(r.last('ike-error'), { type: 'ike-error', cause: 'TIMEOUT', detail: r.last('ike-error')!.detail, fatal: false, attempt: 1 });
  r.runUntil(200_000);
  const second = initRequests(r).slice(5).map((s) => s.at);
  assert.deepEqual(second, [36000, 37000, 39000, 43000, 51000], 'second attempt 5 s after the first gave up');
  assert.equal(r.last('ike-error')!.fatal, true);
  assert.equal(r.session.state, 'failed');
  assert.equal(r.session.deadline(), undefined, 'no timer left: no busy loop');
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

test('DPD: an empty INFORMATIONAL after dpdInterval idle; no answer: ike-down and restart', () => {
  const r = new Rig({}, { dpdInterval: 30 }, { restartDelayMs: 2000 }).start();
  r.runUntil(30_000);
  const dpd = r.sent.at(-1)!;
  assert.equal(dpd.at, 30_000);
  assert.equal(dpd.payload[4 + 18], ExchangeType.INFORMATIONAL);
  assert.equal(r.session.counters.dpdRequests, 1);
  assert.equal(r.session.state, 'established', 'answered: still up');
  // ESP traffic from the gateway counts as liveness too.
  r.session.noteEspActivity('in', 50_000);
  r.runUntil(79_000);
  assert.equal(r.session.counters.dpdRequests, 1);
  r.gatewayAlive = false;
  r.runUntil(80_000 + 31_000);
  assert.equal(r.last('ike-down')!.reason, 'gateway stopped answering (DPD)');
  r.gatewayAlive = true;
  r.runUntil(r.now + 3000);
  assert.equal(r.session.state, 'established');
});

test('NAT keepalives: 0xFF on 4500 after natKeepalive s without outbound traffic there', () => {
  const r = new Rig({}, { natKeepalive: 20 }).start();
  r.runUntil(20_000);
  assert.deepEqual(r.sent.at(-1), { at: 20_000, port: 'nat-t', payload: Uint8Array.of(0xff) });
  r.session.noteEspActivity('out', 35_000);
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

test('configuration errors: one fatal CONFIG event, nothing sent', () => {
  const r = new Rig({}, { ikeProposals: ['aes128gcm16-prfsha256'] }).start();
  assert.deepEqual(r.types(), ['ike-error']);
  assert.equal(r.last('ike-error')!.cause, 'CONFIG');
  assert.equal(r.last('ike-error')!.fatal, true);
  assert.equal(r.sent.length, 0);
});

test('lifetime: re-established from scratch when the shorter lifetime expires', () => {
  const r = new Rig({}, { ikeLifetime: 3600, childLifetime: 1200 }).start();
  r.runUntil(1_200_000);
  assert.equal(r.last('ike-down')!.reason, 'lifetime expired: re-establishing');
  assert.equal(r.session.state, 'established');
  assert.equal(r.events.filter((e) => e.type === 'child-up').length, 2);
});

test('keys reach only the KeyLog; the log never carries the PSK or key bytes', async () => {
  const { IkeSession } = await import('../../src/ike/session.ts');
  const { Logger } = await import('../../src/util/log.ts');
  const { FakeGateway, random } = await import('./ike-session-fake-gateway.ts');
  const { config, PSK } = await import('./ike-session-rig.ts');
  const { toHex } = await import('../../src/util/bytes.ts');
  const lines: string[] = [];
  const ikeKeys: Uint8Array[] = [];
  const espEntries: Array<{ spi: number; encryptionKey: Uint8Array }> = [];
  const gw = new FakeGateway({ psk: PSK, id: 'gateway.example.net' });
  const queue: Uint8Array[] = [];
  const s = new IkeSession(config(), {
    random,
    log: new Logger((level, component, message) => lines.push(`${level} ${component} ${message}`), 'ike', 'debug'),
    keyLog: { ikeSa: (e) => ikeKeys.push(e.skEi, e.skEr), espSa: (e) => espEntries.push(e) },
  }, {
    sendUdp: (port, p) => {
      const a = gw.handle(port === 'nat-t' ? p.subarray(4) : p);
      if (a) queue.push(port === 'nat-t' ? withMarker(a) : a);
    },
    onEvent: () => {},
    onChildSa: () => {},
  });
  s.start(0, '10.0.2.15', 500);
  for (let i = 0; queue.length && i < 10; i++) s.input(queue.shift()!, i === 0 ? 'ike' : 'nat-t', 0);
  assert.equal(s.state, 'established');
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
  assert.equal(r.session.dropCounts()['stale IKE_SA_INIT response'], 1);
  assert.equal(r.session.state, 'init');
  assert.equal(r.events.filter((e) => e.type === 'ike-error').length, 0);
  r.inject(r.gw.handle(r.sent[1]!.payload)!, 'ike');
  r.gatewayAlive = true;
  r.runUntil(1000); // the IKE_AUTH retransmission reaches the gateway now
  assert.equal(r.session.state, 'established');
});
