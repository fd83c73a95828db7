/**
 * The tunnel path: the MSS the device offers and the inner MTU it uses make the largest inner
 * packet fill one link packet exactly — checked against the real ESP SAs of every suite, with
 * and without UDP encapsulation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EspSuite } from '../../src/crypto/suites.ts';
import { parseSuite as suiteOf } from './net-suites.ts';
import { EspOutboundSa } from '../../src/esp/index.ts';
import { innerMtu, linkBytes, pathOf, tcpMss } from '../../src/net/path.ts';
import { CATALOG } from '../../src/crypto/catalog.ts';
import { IpStack } from '../../src/ip/stack.ts';
import { MIN_PEER_MRU } from '../../src/ppp/lcp.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';
import { seededRandom } from './tcp-rig.ts';

function espLength(suite: EspSuite, inner: number): number {
  const random = seededRandom(3);
  const sa = new EspOutboundSa(
    { spi: 0x1000, suite, encrKey: random.bytes(suite.encr.keyLength), integKey: suite.integ ? random.bytes(suite.integ.keyLength) : undefined },
    { random, drops: new DropCounter(silentLogger()) },
  );
  return sa.protect(new Uint8Array(inner))!.length;
}

const CASES: Array<[string, boolean, number]> = [
  ['aes128gcm16', true, 1398],
  ['aes256gcm16', true, 1398],
  ['chacha20poly1305', true, 1398],
  ['aes128-sha256', true, 1382],
  ['aes128gcm16', false, 1406],
];

for (const [name, udpEncap, mss] of CASES) {
  test(`path ${name}${udpEncap ? ' in UDP 4500' : ' (protocol 50)'}: MSS ${mss}; the largest inner packet fills a 1500-byte link packet`, () => {
    const suite = suiteOf(name);
    const path = pathOf(suite, 1500, udpEncap);
    assert.equal(tcpMss(path), mss);
    const inner = innerMtu(path);
    assert.equal(inner, mss + 40);
    const outer = 20 + (udpEncap ? 8 : 0);
    assert.ok(espLength(suite, inner) + outer <= 1500, 'fits');
    assert.equal(espLength(suite, inner) + outer, linkBytes(path, inner), 'linkBytes() agrees with the SA');
    const align = Math.max(4, suite.encr.blockSize);
    assert.ok(espLength(suite, inner + align) + outer > 1500, 'one more block would not');
  });
}

test('a smaller PPP MTU shrinks the MSS with it', () => {
  assert.equal(tcpMss(pathOf(suiteOf('aes128gcm16'), 1280, true)), 1178);
});

test(`the smallest peer MRU LCP accepts (${MIN_PEER_MRU}) is exactly what the tunnel needs: every ESP suite carries a 68-byte inner packet at it, not all one byte below`, () => {
  const suites: EspSuite[] = CATALOG.encr.flatMap((encr): EspSuite[] => (encr.aead ? [{ encr, integ: undefined, dh: undefined }] : CATALOG.integ.map((integ) => ({ encr, integ, dh: undefined }))));
  const at = (linkMtu: number) => suites.map((s) => innerMtu(pathOf(s, linkMtu, true)));
  assert.ok(at(MIN_PEER_MRU).every((m) => m >= 68), `inner MTUs at ${MIN_PEER_MRU}: ${at(MIN_PEER_MRU)}`);
  assert.ok(at(MIN_PEER_MRU - 1).some((m) => m < 68), `at ${MIN_PEER_MRU - 1}: ${at(MIN_PEER_MRU - 1)}`);
  const ip = new IpStack({ log: silentLogger() }, { transmit: () => {} } as never);
  for (const m of at(MIN_PEER_MRU)) assert.doesNotThrow(() => ip.setMtu(m));
});
