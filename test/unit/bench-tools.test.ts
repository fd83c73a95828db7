/**
 * The measuring tools of the bench and the fault tests: the air meter's frame classes and byte
 * counts, the RFC 7296 floor, and the echo checker's lost/duplicated bookkeeping.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FRAMING, encodeFrame } from '../../src/ppp/hdlc.ts';
import { PROTO_IPV4, PROTO_LCP } from '../../src/ppp/protocols.ts';
import { AirMeter, totals } from '../lab/air-meter.ts';
import { EchoChecker, type DatagramPort } from '../lab/echo-checker.ts';
import { ikeFloor } from '../bench/ike-floor.ts';

function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const ip = new Uint8Array(28 + payload.length);
  ip[0] = 0x45;
  ip[2] = ip.length >> 8;
  ip[3] = ip.length & 0xff;
  ip[9] = 17;
  ip.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 20);
  ip.set(payload, 28);
  return ip;
}

/** An IKE message: header (28) with the exchange and flags, then an SK payload whose first inner payload is `inner`. */
function ike(exchange: number, response: boolean, inner: number, length = 57): Uint8Array {
  const m = new Uint8Array(length);
  m[16] = 46; // SK
  m[18] = exchange;
  m[19] = response ? 0x20 : 0x08;
  m.set([0, 0, 0, length], 24);
  m[28] = inner;
  return m;
}

test('air meter: frames classed by cause from their cleartext, bytes counted on the line from the first flag on', () => {
  const meter = new AirMeter(() => 0);
  const frames = [
    encodeFrame(PROTO_LCP, Uint8Array.of(9, 1, 0, 8, 1, 2, 3, 4), DEFAULT_FRAMING), // Echo-Request
    encodeFrame(PROTO_IPV4, udp(4500, 4500, Uint8Array.of(0xff)), DEFAULT_FRAMING), // NAT keepalive
    encodeFrame(PROTO_IPV4, udp(4500, 4500, Uint8Array.from([0, 0, 0, 0, ...ike(37, false, 0)])), DEFAULT_FRAMING), // DPD
    encodeFrame(PROTO_IPV4, udp(4500, 4500, Uint8Array.from([0, 0, 0, 0, ...ike(37, true, 42)])), DEFAULT_FRAMING), // DELETE answer
    encodeFrame(PROTO_IPV4, udp(500, 500, ike(34, false, 33, 200)), DEFAULT_FRAMING),
    encodeFrame(PROTO_IPV4, udp(4500, 4500, Uint8Array.of(0xc0, 1, 2, 3, 0, 0, 0, 1, 9, 9)), DEFAULT_FRAMING), // ESP
  ];
  const banner = new TextEncoder().encode('Slirp banner\r\n');
  const wire = Uint8Array.from([...banner, ...frames.flatMap((f) => [...f])]);
  for (let i = 0; i < wire.length; i += 7) meter.push('up', wire.subarray(i, i + 7)); // any chunking
  const seen = meter.since(0);
  assert.deepEqual(seen.map((f) => f.cause), ['lcp-echo', 'nat-keepalive', 'dpd', 'informational', 'ike-sa-init', 'esp']);
  assert.equal(seen[4]!.ikeBytes, 200);
  assert.equal(seen[3]!.response, true);
  assert.equal(seen[5]!.espSpi, 0xc0010203);
  // Each encoded frame carries its own opening and closing flag: the shared count is exact.
  assert.equal(totals(seen).up, wire.length - banner.length);
  const corrupt = frames[1]!.slice();
  corrupt[5] ^= 0x01;
  meter.push('down', corrupt);
  assert.equal(meter.since(meter.mark() - 1)[0]!.cause, 'bad-fcs');
});

test('RFC 7296 floor for the lab suite: 16-byte nonce, no IDr, one proposal, one TS each way', () => {
  const f = ikeFloor({ ikeProposal: 'aes128gcm16-prfsha256-x25519', espProposal: 'aes128gcm16', idi: 'device1.example.com', idr: 'gateway.example.net', tsrCount: 1 });
  // HDR 28 + SA 40 + KE 40 + Ni 20 + 2 × NAT_DETECTION 28
  assert.equal(f.initRequest, 184);
  // HDR 28 + SK(4 + IV 8 + [IDi 27, AUTH 40, CP 16, SA 36, TSi 24, TSr 24, N(INITIAL_CONTACT) 8] + pad length 1 + ICV 16)
  assert.equal(f.authRequest, 232);
  const big = ikeFloor({ ikeProposal: 'aes256gcm16-prfsha384-ecp256', espProposal: 'aes128-sha256', idi: 'd', idr: 'g', tsrCount: 2 });
  assert.equal(big.initRequest - f.initRequest, 32 + 8, 'ecp256 KE is 32 bytes longer, the nonce 8 (half of SHA-384 key)');
});

test('echo checker: lost, duplicated and foreign echoes are told apart', async () => {
  let handler: (p: Uint8Array) => void = () => {};
  let n = 0;
  const port: DatagramPort = {
    send: (p) => {
      n++;
      if (n === 2) return; // lost
      handler(p);
      if (n === 3) handler(p); // duplicated
      if (n === 4) handler(Uint8Array.of(1, 2, 3)); // not ours
    },
    onReceive: (h) => (handler = h),
    close: () => {},
  };
  const checker = new EchoChecker(port, { intervalMs: 5 });
  checker.start();
  await new Promise((r) => setTimeout(r, 60));
  const r = await checker.finish(10);
  assert.ok(r.sent >= 5);
  assert.deepEqual(r.lost, [1]);
  assert.deepEqual(r.duplicated, [2]);
  assert.equal(r.extraCopies, 1);
  assert.equal(r.foreign, 1);
  assert.equal(r.received, r.sent - 1);
});
