/** The firmware fetcher over fake sockets and a scripted file server: ranges, resume, digest, bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import type { FirmwareEvent } from '../../src/firmware/fetcher.ts';
import { parseManifest } from '../../src/firmware/manifest.ts';
import { equalBytes, toHex } from '../../src/util/bytes.ts';
import type { FakeFileServer } from './http-fake-server.ts';
import { OtaSink } from '../../hosts/esp32/ota-sink.ts';
import { enc, image, manifestFor, rig } from './firmware-rig.ts';

test('1 MiB image: manifest, sixteen 64 KiB ranges on one connection, SHA-256 verified, then accepted', () => {
  const { clock, server, sink, events, fetcher } = rig();
  const img = image(1 << 20);
  server.files.set('/firmware/manifest.json', manifestFor(img));
  server.files.set('/firmware/image-1.1.0.bin', img);
  fetcher.start();
  assert.ok(clock.until(() => fetcher.state === 'installed', 600_000, 10));
  assert.ok(equalBytes(sink.bytes(), img), 'byte-exact');
  assert.ok(sink.completed && equalBytes(sink.completed, sha256(img)));
  assert.equal(sink.begins, 1);
  assert.equal(sink.cancels, 0);
  assert.deepEqual(server.requests.slice(0, 3).map((r) => [r.path, r.range]), [
    ['/firmware/manifest.json', undefined], ['/firmware/image-1.1.0.bin', '0-65535'], ['/firmware/image-1.1.0.bin', '65536-131071'],
  ]);
  assert.equal(server.requests.length, 17);
  assert.equal(server.connections, 2, 'one for the manifest, one kept for all the ranges');
  const installed = events.find((e) => e.type === 'firmware-installed');
  assert.deepEqual(installed, { type: 'firmware-installed', version: '1.1.0', size: 1 << 20, sha256: toHex(sha256(img)) });
  assert.ok(fetcher.counters.longestTurnBytes <= 4096, `at most 4096 bytes per turn (${fetcher.counters.longestTurnBytes})`);
});

test('work per turn is bounded even when the whole range is already in the socket', () => {
  const { clock, server, sink, fetcher } = rig({ turnBytes: 1024, rangeBytes: 32768 });
  const img = image(100_000);
  server.files.set('/firmware/manifest.json', manifestFor(img));
  server.files.set('/firmware/image-1.1.0.bin', img);
  fetcher.start();
  assert.ok(clock.until(() => fetcher.state === 'installed', 60_000, 10));
  assert.ok(equalBytes(sink.bytes(), img));
  assert.ok(fetcher.counters.longestTurnBytes <= 1024, `${fetcher.counters.longestTurnBytes} bytes in one turn`);
  assert.ok(sink.writes >= 100_000 / 1024, `${sink.writes} writes of at most 1 KiB`);
});

test('the connection breaks at about half: the next request starts at the first byte not yet written, image byte-exact', () => {
  const { clock, server, sink, events, fetcher } = rig();
  const img = image(1 << 20, 7);
  server.files.set('/firmware/manifest.json', manifestFor(img));
  server.files.set('/firmware/image-1.1.0.bin', img);
  server.faults = { breakAfterBodyBytes: (1 << 19) + 1234, piece: 1000 };
  fetcher.start();
  assert.ok(clock.until(() => fetcher.state === 'installed', 600_000, 10));
  assert.ok(equalBytes(sink.bytes(), img), 'byte-exact across the break');
  assert.equal(sink.begins, 1, 'resumed, not restarted');
  const resume = events.find((e) => e.type === 'firmware-resume');
  assert.ok(resume && resume.type === 'firmware-resume');
  assert.equal(resume.offset, (1 << 19) + 1234, 'resumes exactly where the bytes stopped');
  const resumed = server.requests.find((r) => r.range?.startsWith(`${(1 << 19) + 1234}-`));
  assert.ok(resumed, 'Range from the resume offset');
  assert.equal(fetcher.counters.resumes, 1);
  assert.ok(events.some((e) => e.type === 'firmware-error' && e.error === 'truncated-body'));
});

test('a corrupted image (one byte flipped on the server) is rejected, never completed, and tried again later', () => {
  const { clock, server, sink, events, fetcher } = rig({ retryMinMs: 10_000, retryMaxMs: 10_000, checkIntervalMs: 60_000 });
  const img = image(200_000, 3);
  server.files.set('/firmware/manifest.json', manifestFor(img));
  const bad = img.slice();
  bad[123_456] ^= 0x01;
  server.files.set('/firmware/image-1.1.0.bin', bad);
  fetcher.start();
  assert.ok(clock.until(() => events.some((e) => e.type === 'firmware-rejected'), 60_000, 10));
  assert.equal(sink.completed, undefined, 'never completed');
  assert.equal(sink.cancels, 1);
  const rejected = events.find((e) => e.type === 'firmware-rejected');
  assert.equal(rejected?.type === 'firmware-rejected' && rejected.reason, 'digest-mismatch');
  // After a bounded wait it tries again (the server may have been fixed): the same manifest after
  // the check interval (firmware-trust.test.ts: not before).
  server.files.set('/firmware/image-1.1.0.bin', img);
  assert.ok(clock.until(() => fetcher.state === 'installed', 120_000, 10));
  assert.ok(equalBytes(sink.bytes(), img));
  assert.equal(sink.begins, 2);
});

test('up to date: no image request; the next check after the interval', () => {
  const { clock, server, fetcher, events } = rig({ currentVersion: '1.1.0' });
  const img = image(1000);
  server.files.set('/firmware/manifest.json', manifestFor(img, '1.1.0'));
  fetcher.start();
  clock.advance(10_000);
  assert.deepEqual(server.requests.map((r) => r.path), ['/firmware/manifest.json']);
  assert.deepEqual(events[0], { type: 'firmware-manifest', version: '1.1.0', size: 1000, newer: false });
  clock.advance(3_600_000);
  assert.equal(server.requests.length, 2);
});

test('hostile manifests and servers: named errors, then bounded waits and new tries', () => {
  const cases: [string, (s: FakeFileServer) => void, string][] = [
    ['missing', () => {}, 'not-found'],
    ['not JSON', (s) => s.files.set('/firmware/manifest.json', enc('{"version": ')), 'bad-manifest'],
    ['bad digest field', (s) => s.files.set('/firmware/manifest.json', enc('{"version":"2","size":10,"sha256":"xyz","path":"/i"}')), 'bad-manifest'],
    ['image too large', (s) => s.files.set('/firmware/manifest.json', enc(`{"version":"2","size":${8 << 20},"sha256":"${'0'.repeat(64)}","path":"/i"}`)), 'bad-manifest'],
    ['manifest too large', (s) => s.files.set('/firmware/manifest.json', new Uint8Array(100_000).fill(0x20)), 'manifest-too-large'],
    ['image missing', (s) => s.files.set('/firmware/manifest.json', manifestFor(image(10), '2.0.0', '/nope')), 'not-found'],
  ];
  for (const [what, setup, name] of cases) {
    const r = rig({ retryMinMs: 5000, retryMaxMs: 20_000 });
    setup(r.server);
    r.fetcher.start();
    r.clock.advance(60_000);
    const errors = r.events.filter((e): e is Extract<FirmwareEvent, { type: 'firmware-error' }> => e.type === 'firmware-error');
    assert.ok(errors.length >= 3 && errors.length <= 6, `${what}: ${errors.length} tries in 60 s`);
    assert.ok(errors.every((e) => e.error === name), `${what} → ${name} (${errors[0]?.error})`);
    assert.equal(r.sink.completed, undefined);
  }
});

test('a server that ignores Range: fine from byte 0 (the whole image at once), refused for a resume', () => {
  const { clock, server, sink, fetcher } = rig();
  const img = image(300_000, 5);
  server.files.set('/firmware/manifest.json', manifestFor(img));
  server.files.set('/firmware/image-1.1.0.bin', img);
  server.faults = { ignoreRange: true };
  fetcher.start();
  assert.ok(clock.until(() => fetcher.state === 'installed', 60_000, 10));
  assert.ok(equalBytes(sink.bytes(), img));

  const r = rig();
  r.server.files.set('/firmware/manifest.json', manifestFor(img));
  r.server.files.set('/firmware/image-1.1.0.bin', img);
  r.server.faults = { breakAfterBodyBytes: 100_000, piece: 1000 };
  r.fetcher.start();
  assert.ok(r.clock.until(() => r.events.some((e) => e.type === 'firmware-error'), 60_000, 10));
  r.server.faults = { ignoreRange: true };
  assert.ok(r.clock.until(() => r.events.some((e) => e.type === 'firmware-error' && e.error === 'range-mismatch'), 60_000, 10));
  assert.equal(r.sink.completed, undefined);
});

test('manifest parsing (the version order: firmware-trust.test.ts)', () => {
  const good = parseManifest(`{"version":"1.2.3","size":5,"sha256":"${'ab'.repeat(32)}","path":"/f/i.bin"}`, 100);
  assert.ok(good.ok && good.value.size === 5 && good.value.sha256.length === 32);
  for (const bad of ['[]', 'null', '{"version":"1\\n","size":5,"sha256":"' + 'ab'.repeat(32) + '","path":"/f"}', '{"version":"1","size":5.5,"sha256":"' + 'ab'.repeat(32) + '","path":"/f"}', '{"version":"1","size":5,"sha256":"' + 'ab'.repeat(32) + '","path":"f"}']) {
    assert.equal(parseManifest(bad, 100).ok, false, bad);
  }
});

test('through the ESP32 OTA sink: a corrupted image is cancelled and OTA complete() is never called', () => {
  const log: string[] = [];
  class FakeOta {
    constructor() { log.push('begin'); }
    write(): void {}
    complete(): void { log.push('complete'); }
    cancel(): void { log.push('cancel'); }
  }
  const { clock, server, events, fetcher } = rig({ retryMinMs: 600_000, retryMaxMs: 600_000 }, new OtaSink(FakeOta));
  const img = image(150_000, 9);
  server.files.set('/firmware/manifest.json', manifestFor(img));
  const bad = img.slice();
  bad[77_777] ^= 0x80;
  server.files.set('/firmware/image-1.1.0.bin', bad);
  fetcher.start();
  assert.ok(clock.until(() => events.some((e) => e.type === 'firmware-rejected'), 60_000, 10));
  assert.deepEqual(log, ['begin', 'cancel']);
});
