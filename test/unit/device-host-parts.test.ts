/**
 * Parts of the ESP32 build's Linux twin (hosts/xs-device) that need no SDK: the preload fix for
 * noble's scratch buffers (scripts/preload-safe.ts), the native stubs, and reading agent events
 * back from the log lines the ESP32 main writes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { describe, type AgentEvent } from '../../src/agent/agent.ts';
import { eventFromLog, parseHeap } from '../../hosts/xs-device/device.ts';
import { patchScratch, preloadSafeEntry, RENEW, writtenScratch } from '../../scripts/preload-safe.ts';
import { nativeStubs } from '../../scripts/xs-device.ts';

const noble = (f: string) => fs.readFileSync(`node_modules/@noble/${f}`, 'utf8');

test('the scratch buffers noble writes are found, with the views made from them, and only those', () => {
  assert.deepEqual(writtenScratch(noble('hashes/sha2.js')).map((s) => s.name), ['SHA256_W', 'SHA512_W_H', 'SHA512_W_L']);
  // ZEROS32 is a view of ZEROS16: remade after it, or it would keep pointing at the read-only bytes.
  assert.deepEqual(writtenScratch(noble('ciphers/_polyval.js')), [{ name: 'ZEROS16', init: 'new Uint8Array(16)' }, { name: 'ZEROS32', init: 'u32(ZEROS16)' }]);
  assert.deepEqual(writtenScratch(noble('ciphers/aes.js')), [], 'EMPTY_BLOCK is only read (sliced)');
  assert.deepEqual(writtenScratch(noble('curves/abstract/montgomery.js')), []);
});

test('a patched module makes its buffers again when asked, and startAgent asks first', () => {
  const source = 'const W = /* @__PURE__ */ new Uint32Array(4);\nconst V = view(W);\nexport function f(x) { W[0] = x; V[1] = x; return W; }\n';
  const patched = patchScratch(source, writtenScratch(source));
  const mod = new Function('view', `${patched.replace(/export /g, '')}; return { f, ${RENEW} };`)((w: Uint32Array) => new Uint8Array(w.buffer)) as { f: (x: number) => Uint32Array; [RENEW]: () => void };
  const before = mod.f(1);
  mod[RENEW]();
  assert.notEqual(mod.f(2), before, 'a new buffer');
  assert.match(patched, /^let W = /m);
  assert.match(patched, /^let V = /m);
  const entry = preloadSafeEntry('/x/src/index.ts', ['/n/sha2.js']);
  assert.match(entry, /export \* from "\/x\/src\/index.ts";/);
  assert.match(entry, /export function startAgent\(platform\) \{\n {2}renew0\(\);\n {2}return start\(platform\);/);
});

test('natives the Linux host does not implement become stubs that throw; destructors do nothing', () => {
  const h = 'extern void xs_a(xsMachine* the);\nextern void xs_b(xsMachine* the);\nextern void xs_b_destructor(void* data);\n';
  const stubs = nativeStubs(h, 'void xs_a(xsMachine* the)\n{\n}\n');
  assert.doesNotMatch(stubs, /xs_a\b/);
  assert.match(stubs, /void xs_b\(xsMachine\* the\) \{ xsUnknownError\("xs_b: not on the Linux device host"\); \}/);
  assert.match(stubs, /void xs_b_destructor\(void\* data\) \{\}/);
});

test('agent events are read back from the lines the agent logs for them', () => {
  const events: [AgentEvent, string][] = [
    [{ type: 'ike-connecting', attempt: 1 }, 'ike-connecting'],
    [{ type: 'ike-up', spiI: 'a', spiR: 'b', suite: 'aes128gcm16-prfsha256-x25519', natT: true, attempt: 1, elapsedMs: 90 }, 'ike-up'],
    [{ type: 'child-up', virtualIp: '192.0.2.1', dns: [], ts: { local: [], remote: ['198.51.100.0/24'] }, espSpiIn: 1, espSpiOut: 2, suite: 'aes128gcm16', udpEncap: true }, 'child-up'],
    [{ type: 'child-rekeyed', espSpiIn: 3, espSpiOut: 4, previousSpiIn: 1, previousSpiOut: 2, by: 'gateway' }, 'child-rekeyed'],
    [{ type: 'ike-rekeyed', spiI: 'c', spiR: 'd', previousSpiI: 'a', previousSpiR: 'b' }, 'ike-rekeyed'],
    [{ type: 'ike-suspended', holdMs: 180_000 }, 'ike-suspended'],
    [{ type: 'ike-moved', localAddress: '10.0.2.15', mobike: true, virtualIp: '192.0.2.1', dns: [], elapsedMs: 30_000 }, 'ike-moved'],
    [{ type: 'probe-result', target: '198.51.100.10:7', address: '198.51.100.10', sent: 20, received: 19, lost: 1, corrupted: 0, durationMs: 2800 }, 'probe-result'],
  ];
  for (const [event, type] of events) {
    const parsed = eventFromLog(`info agent: ${describe(event)}`);
    assert.equal(parsed?.type, type, describe(event));
  }
  assert.deepEqual(
    { ...eventFromLog(`info agent: ${describe(events[7]![0])}`) },
    { type: 'probe-result', text: `info agent: ${describe(events[7]![0])}`, received: 19, sent: 20, lost: 1, corrupted: 0 },
  );
  assert.equal(eventFromLog('info ppp: LCP up'), undefined);
  assert.deepEqual(parseHeap('slots=5 slotsPeak=6 slotsMax=7 chunks=8 chunksPeak=9 chunksMax=10 stackPeak=11 stackMax=12 meter=13'), { slots: 5, slotsPeak: 6, slotsMax: 7, chunks: 8, chunksPeak: 9, chunksMax: 10, stackPeak: 11, stackMax: 12, meter: 13 });
});
