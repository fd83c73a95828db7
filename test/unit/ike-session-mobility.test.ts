/** A carrier loss keeps the IKE SA; the next link moves it (MOBIKE, RFC 4555, or RFC 7296 2.23) or, failing that, a new one comes at once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExchangeType, notifyPayload, NotifyType } from '../../src/ike/codec/index.ts';
import { Rig } from './ike-session-rig.ts';

const initRequests = (r: Rig) => r.sent.filter((s) => s.port === 'ike' && s.payload[18] === ExchangeType.IKE_SA_INIT);

/** Carrier lost at the rig's clock, back `downMs` later on `address`: the turns of the new link run. */
function carrierLoss(r: Rig, downMs: number, address = '10.0.2.99'): number {
  r.session.linkDown(r.now);
  r.gatewayAlive = false;
  r.runUntil(r.now + downMs);
  r.gatewayAlive = true;
  const from = r.sent.length;
  r.session.start(r.now, address, 500);
  r.flush();
  r.runUntil(r.now);
  return from;
}

test('MOBIKE: after a 30 s carrier loss one UPDATE_SA_ADDRESSES (NAT-D, COOKIE2) moves the IKE SA; same SPIs and keys, no key exchange, under 400 B of IP', () => {
  const r = new Rig({ mobike: true }, { dpdInterval: 30, natKeepalive: 20 }).start();
  assert.ok(r.gw.notify(r.gw.received[1]!, NotifyType.MOBIKE_SUPPORTED), 'IKE_AUTH offers MOBIKE');
  assert.equal(r.session.ikeSa!.mobike, true);
  const sa = { spiI: r.last('ike-up')!.spiI, spiR: r.last('ike-up')!.spiR };
  const child = r.child!;
  const before = r.sent.length;
  r.session.linkDown(r.now);
  assert.equal(r.session.state, 'suspended');
  assert.deepEqual(r.last('ike-suspended'), { type: 'ike-suspended', holdMs: 180_000 });
  assert.equal(r.types().includes('child-down'), false, 'the CHILD SA is kept');
  r.runUntil(r.now + 30_000);
  assert.equal(r.sent.length, before, 'nothing goes out without a link: no DPD, no keepalive, no retransmission');
  const from = r.sent.length;
  r.session.start(r.now, '10.0.2.99', 500);
  r.flush();
  r.runUntil(r.now);
  const out = r.sent.slice(from);
  assert.equal(out.length, 1, 'one request');
  assert.equal(out[0]!.port, 'nat-t');
  const update = r.gw.received.at(-1)!;
  assert.equal(update.exchange, ExchangeType.INFORMATIONAL);
  for (const n of [NotifyType.UPDATE_SA_ADDRESSES, NotifyType.NAT_DETECTION_SOURCE_IP, NotifyType.NAT_DETECTION_DESTINATION_IP, NotifyType.COOKIE2]) assert.ok(r.gw.notify(update, n), `carries notify ${n}`);
  assert.equal(r.gw.addressUpdates, 1);
  assert.equal(r.session.state, 'established');
  const moved = r.last('ike-moved')!;
  assert.deepEqual({ ...moved, elapsedMs: 0 }, { type: 'ike-moved', localAddress: '10.0.2.99', mobike: true, virtualIp: '192.0.2.7', dns: ['198.51.100.53'], elapsedMs: 0 });
  assert.equal(moved.elapsedMs, 30_000);
  assert.equal(r.child, child, 'the same CHILD SA');
  assert.deepEqual({ spiI: r.last('ike-up')!.spiI, spiR: r.last('ike-up')!.spiR }, sa);
  assert.equal(r.session.counters.attempts, 1, 'no new IKE SA');
  assert.equal(initRequests(r).length, 1);
  const ipBytes = out.reduce((n, s) => n + s.payload.length + 28, 0);
  assert.ok(ipBytes < 200, `the request is ${ipBytes} B of IP`);
  // The ESP keys still line up with the gateway's.
  const inner = Uint8Array.of(0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 7, 198, 51, 100, 10);
  assert.deepEqual(r.gw.espInbound().open(child.outbound.protect(inner)!), inner);
});

test('without MOBIKE at the gateway, behind a NAT: an authenticated empty INFORMATIONAL from the new mapping (RFC 7296 2.23) resumes the same SAs', () => {
  const r = new Rig({}, {}).start();
  assert.equal(r.session.ikeSa!.mobike, false);
  const from = carrierLoss(r, 30_000);
  const out = r.sent.slice(from);
  assert.equal(out.length, 1);
  const msg = r.gw.received.at(-1)!;
  assert.equal(msg.exchange, ExchangeType.INFORMATIONAL);
  assert.deepEqual(msg.encrypted, [], 'an empty INFORMATIONAL');
  assert.equal(r.last('ike-moved')!.mobike, false);
  assert.equal(r.session.state, 'established');
  assert.equal(r.session.counters.attempts, 1);
});

test('without MOBIKE and without a NAT, a new local address cannot be followed: a new IKE SA at once, no backoff', () => {
  const r = new Rig({ observed: { address: '10.0.2.15', port: 500 } }, {}).start();
  assert.equal(r.session.ikeSa!.natT, false);
  const downAt = r.now;
  carrierLoss(r, 30_000);
  assert.equal(initRequests(r).length, 2);
  assert.equal(initRequests(r)[1]!.at, downAt + 30_000, 'IKE_SA_INIT on the new link at once');
  assert.equal(r.last('child-down')!.reason, 'new local address, and the gateway has no MOBIKE: a new IKE SA');
  assert.equal(r.session.state, 'established');
});

test('a gateway that forgot the SA (restarted while the carrier was down): the update goes unanswered 3 times over 7 s, then a new IKE SA at once', () => {
  const r = new Rig({ mobike: true }, {}).start();
  r.gw.forgetAll();
  const downAt = r.now;
  const from = carrierLoss(r, 30_000);
  r.runUntil(r.now + 7000);
  const back = downAt + 30_000;
  const updates = r.sent.slice(from).filter((s) => s.payload[4 + 18] === ExchangeType.INFORMATIONAL);
  assert.deepEqual(updates.map((s) => s.at - back), [0, 1000, 3000]);
  assert.equal(initRequests(r).at(-1)!.at, back + 7000, 'no backoff wait');
  assert.match(r.last('child-down')!.reason, /address update from the new link failed \(TIMEOUT\)/);
  assert.equal(r.session.state, 'established');
  assert.equal(r.session.counters.attempts, 2);
});

test('a link-less IKE SA is given up after linkLossHold; linkLossHold 0 keeps nothing', () => {
  const r = new Rig({ mobike: true }, { linkLossHold: 60 }).start();
  const downAt = r.now;
  r.session.linkDown(r.now);
  r.runUntil(downAt + 59_999);
  assert.equal(r.session.state, 'suspended');
  r.runUntil(downAt + 60_000);
  assert.equal(r.session.state, 'idle');
  assert.equal(r.last('ike-down')!.reason, 'no link for 60 s (linkLossHold)');
  assert.equal(r.child, undefined);
  r.session.start(r.now, '10.0.2.99', 500);
  r.flush();
  r.runUntil(r.now);
  assert.equal(initRequests(r).length, 2);

  const off = new Rig({ mobike: true }, { linkLossHold: 0 }).start();
  off.session.linkDown(off.now);
  assert.equal(off.session.state, 'idle');
  assert.equal(off.last('ike-down')!.reason, 'link down');
});

for (const mobike of [true, false]) {
  test(`one-way path${mobike ? ' (MOBIKE: the DPD is the address update)' : ''}: the gateway answers IKE but its ESP stopped; an update from this mapping, then a CHILD SA rekey, each once per silence; ESP back ends it`, () => {
    const r = new Rig({ mobike, rekeyNonceR: new Uint8Array(32).fill(0xff) }, { dpdInterval: 30 }).start();
    const t0 = r.now;
    const rekeys = () => r.gw.received.filter((m) => m.exchange === ExchangeType.CREATE_CHILD_SA && !m.response).length;
    const checks = () => r.gw.received.filter((m) => m.exchange === ExchangeType.INFORMATIONAL && !m.response);
    // ESP goes out every 5 s on the current pair; nothing comes back.
    const sendUntil = (until: number) => {
      for (let at = r.now; at <= until; at += 5000) {
        r.runUntil(at);
        r.session.noteEsp('out', r.child!, at);
      }
    };
    sendUntil(t0 + 30_000);
    assert.equal(r.session.counters.dpdRequests, 1, 'a check 30 s after the first unanswered ESP');
    assert.equal(r.gw.addressUpdates, mobike ? 1 : 0, mobike ? 'an UPDATE_SA_ADDRESSES with NAT-D' : 'an empty DPD');
    const updateAt = mobike ? 30_000 : 60_000;
    sendUntil(t0 + 60_000);
    if (!mobike) assert.equal(checks().length, 2, 'without MOBIKE: the DPD, then the update (an empty INFORMATIONAL) at 60 s');
    assert.equal(rekeys(), 0);
    const before = r.child!;
    sendUntil(t0 + updateAt + 60_000);
    assert.equal(rekeys(), 1, 'still silent 60 s after the update: the CHILD SA is rekeyed');
    assert.notEqual(r.child, before, 'fresh SAs');
    const afterRekey = checks().length;
    sendUntil(t0 + 400_000);
    assert.equal(rekeys(), 1, 'once per silence');
    assert.equal(r.gw.addressUpdates, mobike ? 1 : 0, 'once per silence');
    assert.ok(checks().length - afterRekey <= 10, 'then plain DPDs at most, one per dpdInterval');
    assert.equal(r.session.state, 'established');
    // ESP comes back: the next silence may be healed again.
    r.session.noteEsp('in', r.child!, r.now);
    sendUntil(r.now + 31_000);
    if (mobike) assert.equal(r.gw.addressUpdates, 2);
  });
}

test('the link lost again while the update is under way: the next link carries the same update on, one ike-moved, the same SAs', () => {
  const r = new Rig({ mobike: true }, {}).start();
  r.session.linkDown(r.now);
  r.runUntil(r.now + 10_000);
  r.gatewayAlive = false;
  r.session.start(r.now, '10.0.2.98', 500);
  r.runUntil(r.now + 500);
  assert.equal(r.session.state, 'moving');
  r.session.linkDown(r.now);
  assert.equal(r.session.state, 'suspended');
  r.runUntil(r.now + 10_000);
  r.gatewayAlive = true;
  r.session.start(r.now, '10.0.2.99', 500);
  r.flush();
  r.runUntil(r.now + 5000);
  assert.equal(r.session.state, 'established');
  assert.equal(r.types().filter((t) => t === 'ike-moved').length, 1);
  assert.equal(r.session.counters.attempts, 1);
});

test("the gateway's return routability check (RFC 4555 3.8) gets its COOKIE2 back; its address announcement an empty answer", () => {
  const r = new Rig({ mobike: true }, {}).start();
  const cookie2 = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
  let n = r.sent.length;
  r.inject(r.gw.request([notifyPayload(NotifyType.COOKIE2, cookie2)]));
  const check = r.gw.decodeResponse(r.sent[n]!.payload.subarray(4));
  const echoed = check.encrypted!.find((p) => p.kind === 'N' && p.notifyType === NotifyType.COOKIE2);
  assert.ok(echoed?.kind === 'N');
  assert.deepEqual(echoed.data, cookie2);
  n = r.sent.length;
  r.inject(r.gw.request([notifyPayload(NotifyType.ADDITIONAL_IP4_ADDRESS, Uint8Array.of(192, 0, 2, 253))]));
  assert.deepEqual(r.gw.decodeResponse(r.sent[n]!.payload.subarray(4)).encrypted, []);
  assert.equal(r.session.state, 'established');
});
