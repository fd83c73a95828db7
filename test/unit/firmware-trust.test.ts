/**
 * What makes a firmware update trustworthy (issue 18, H1 and M3): a manifest is acted on only when
 * a key of firmwareKeys signed it; only a version above the floor (the highest installed, kept
 * across boots) is taken, in SemVer precedence; a rejected image is not fetched again while its
 * manifest is unchanged, and the waits grow across rejected images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FLOOR_KEY, type FirmwareEvent } from '../../src/firmware/fetcher.ts';
import { compareVersions, isNewer } from '../../src/firmware/version.ts';
import { MemoryStore } from '../../src/util/memory-store.ts';
import { FileStore } from '../../hosts/sim/file-store.ts';
import { publicKeyOf } from '../../scripts/firmware-signer.ts';
import { enc, image, manifestFor, rig, SIGNER, STRANGER } from './firmware-rig.ts';

const MANIFEST = '/firmware/manifest.json';
const imageRequests = (server: { requests: { path: string }[] }) => server.requests.filter((r) => r.path !== MANIFEST).length;
const rejections = (events: FirmwareEvent[]) => events.filter((e): e is Extract<FirmwareEvent, { type: 'firmware-rejected' }> => e.type === 'firmware-rejected');

test('version order: SemVer 2.0 precedence; pre-releases below their release, build metadata ignored, non-SemVer never newer', () => {
  // [candidate, floor, newer?]
  const table: [string, string, boolean][] = [
    ['0.0.1', '1.2.3-rc1', false], // the cases: an old image is no "update"
    ['1.0.0', '2.0.0+b7', false],
    ['2.0.0+b7', '1.0.0', true],
    ['1.10.0', '1.9.9', true],
    ['2.0.0', '1.99.99', true],
    ['1.0.0', '1.0.1', false],
    ['1.0.0', '1.0.0', false],
    ['1.0.0+b2', '1.0.0+b1', false], // build metadata is not part of the order
    ['1.0.0', '1.0.0-rc.1', true],
    ['1.0.0-rc.1', '1.0.0', false],
    ['1.0.0-rc.1', '0.9.9', true],
    ['1.2', '1.2.0', false], // not SemVer: refused, not "newer"
    ['1.2.0', '1.2', false],
    ['build-7', 'build-6', false],
    ['v1.2.3', '1.0.0', false],
    ['01.2.3', '1.0.0', false],
    ['1.2.3-01', '1.0.0', false],
    ['99999999999999999999.0.0', '1.0.0', false],
  ];
  for (const [candidate, floor, newer] of table) assert.equal(isNewer(candidate, floor), newer, `isNewer(${candidate}, ${floor})`);
  // semver.org §11's chain, each strictly below the next.
  const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
  for (let i = 0; i + 1 < chain.length; i++) {
    assert.ok(compareVersions(chain[i]!, chain[i + 1]!)! < 0, `${chain[i]} < ${chain[i + 1]}`);
    assert.equal(isNewer(chain[i]!, chain[i + 1]!), false);
    assert.equal(isNewer(chain[i + 1]!, chain[i]!), true);
  }
});

test('unsigned, unknown key, wrong signature: refused before any image request, the sink never begun', () => {
  const img = image(5000, 2);
  const evil = image(5000, 3);
  const good = JSON.parse(new TextDecoder().decode(manifestFor(img))) as Record<string, unknown>;
  const evilSigned = JSON.parse(new TextDecoder().decode(manifestFor(evil))) as Record<string, unknown>;
  const { key: _k, signature: _s, ...unsigned } = good;
  const flipped = String(good.signature).replace(/^./, (c) => (c === '0' ? '1' : '0'));
  const cases: [string, Uint8Array, string][] = [
    ['unsigned', enc(JSON.stringify(unsigned)), 'unsigned'],
    ['signed by a key not in firmwareKeys', manifestFor(img, '1.1.0', '/firmware/image-1.1.0.bin', STRANGER), 'unknown-key'],
    ['signature bits flipped', enc(JSON.stringify({ ...good, signature: flipped })), 'bad-signature'],
    ['the evil image\'s digest under the good signature', enc(JSON.stringify({ ...good, sha256: evilSigned.sha256 })), 'bad-signature'],
    ['another path under the good signature', enc(JSON.stringify({ ...good, path: '/firmware/evil.bin' })), 'bad-signature'],
    ['a stranger\'s signature with a trusted key named', enc(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(manifestFor(img, '1.1.0', '/firmware/image-1.1.0.bin', STRANGER))), key: publicKeyOf(SIGNER) })), 'bad-signature'],
  ];
  for (const [what, manifest, reason] of cases) {
    const r = rig();
    r.server.files.set(MANIFEST, manifest);
    r.server.files.set('/firmware/image-1.1.0.bin', evil);
    r.server.files.set('/firmware/evil.bin', evil);
    r.fetcher.start();
    r.clock.advance(600_000);
    assert.deepEqual(rejections(r.events).map((e) => e.reason).slice(0, 1), [reason], what);
    assert.equal(imageRequests(r.server), 0, `${what}: no image request`);
    assert.equal(r.sink.begins, 0, `${what}: the sink never begun`);
    assert.equal(r.sink.completed, undefined);
    assert.equal(r.fetcher.installedFloor, '1.0.0');
  }
});

test('key rotation: a manifest signed by the second key of firmwareKeys is accepted, and the event says which key', () => {
  const img = image(3000, 4);
  const r = rig({ publicKeys: [publicKeyOf(STRANGER), publicKeyOf(SIGNER)] });
  r.server.files.set(MANIFEST, manifestFor(img));
  r.server.files.set('/firmware/image-1.1.0.bin', img);
  r.fetcher.start();
  assert.ok(r.clock.until(() => r.fetcher.state === 'installed', 60_000, 10));
  assert.deepEqual(r.events.find((e) => e.type === 'firmware-signature'), { type: 'firmware-signature', version: '1.1.0', keyIndex: 1, key: publicKeyOf(SIGNER) });
});

test('anti-rollback: the installed version is the floor across a reboot; the same or an older signed manifest is never installed again', () => {
  const store = new MemoryStore();
  const v110 = image(4000, 5);
  const first = rig({}, undefined, store);
  first.server.files.set(MANIFEST, manifestFor(v110));
  first.server.files.set('/firmware/image-1.1.0.bin', v110);
  first.fetcher.start();
  assert.ok(first.clock.until(() => first.fetcher.state === 'installed', 60_000, 10));
  assert.equal(store.get(FLOOR_KEY), '1.1.0');

  // Rebooted (still the built-in 1.0.0, e.g. the new image did not boot): the server still serves
  // 1.1.0, then an old signed 1.0.5: neither is downloaded, at any check.
  for (const [version, img] of [['1.1.0', v110], ['1.0.5', image(4000, 6)]] as const) {
    const again = rig({}, undefined, store);
    again.server.files.set(MANIFEST, manifestFor(img, version, `/firmware/image-${version}.bin`));
    again.server.files.set(`/firmware/image-${version}.bin`, img);
    again.fetcher.start();
    again.clock.advance(3 * 3_600_000 + 1000);
    assert.equal(again.fetcher.installedFloor, '1.1.0');
    assert.equal(again.server.requests.filter((q) => q.path === MANIFEST).length, 4, `${version}: a check per interval`);
    assert.equal(imageRequests(again.server), 0, `${version}: never downloaded`);
    assert.equal(again.sink.begins, 0);
    assert.ok(again.events.every((e) => e.type !== 'firmware-manifest' || !e.newer));
  }

  // A pre-release of the next version is above 1.1.0.
  const rc = image(4000, 7);
  const next = rig({}, undefined, store);
  next.server.files.set(MANIFEST, manifestFor(rc, '1.2.0-rc.1', '/firmware/image-1.2.0-rc.1.bin'));
  next.server.files.set('/firmware/image-1.2.0-rc.1.bin', rc);
  next.fetcher.start();
  assert.ok(next.clock.until(() => next.fetcher.state === 'installed', 60_000, 10));
  assert.equal(store.get(FLOOR_KEY), '1.2.0-rc.1');
});

test('the simulator keeps the floor in a file: a new process (a new FileStore on the file) refuses the installed version', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-floor-'));
  try {
    const file = path.join(dir, 'store.json');
    const img = image(2000, 8);
    const first = rig({}, undefined, new FileStore(file));
    first.server.files.set(MANIFEST, manifestFor(img));
    first.server.files.set('/firmware/image-1.1.0.bin', img);
    first.fetcher.start();
    assert.ok(first.clock.until(() => first.fetcher.state === 'installed', 60_000, 10));
    const again = rig({}, undefined, new FileStore(file));
    again.server.files.set(MANIFEST, manifestFor(img));
    again.server.files.set('/firmware/image-1.1.0.bin', img);
    again.fetcher.start();
    again.clock.advance(60_000);
    assert.equal(imageRequests(again.server), 0);
    assert.deepEqual(again.events[0], { type: 'firmware-manifest', version: '1.1.0', size: 2000, newer: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a rejected image is not downloaded again while its manifest is unchanged (30 min: one download, not one every retry)', () => {
  const img = image(200_000, 9);
  const bad = img.slice();
  bad[100_000] ^= 1;
  const r = rig({ retryMinMs: 5000, retryMaxMs: 600_000, checkIntervalMs: 86_400_000 });
  r.server.files.set(MANIFEST, manifestFor(img));
  r.server.files.set('/firmware/image-1.1.0.bin', bad);
  r.fetcher.start();
  r.clock.advance(30 * 60_000);
  assert.equal(rejections(r.events).length, 1, 'rejected once');
  assert.equal(r.sink.begins, 1, 'the sink (the OTA partition erase) begun once');
  assert.equal(imageRequests(r.server), 4, 'the 200 kB image in 64 KiB ranges, once');
  const checks = r.server.requests.filter((q) => q.path === MANIFEST).length;
  assert.ok(checks >= 3 && checks <= 12, `the manifest looked at ${checks} times, each wait longer`);
  assert.ok(r.events.some((e) => e.type === 'firmware-skipped'));
});

test('the waits after rejected images grow across images, however often the manifest changes', () => {
  const r = rig({ retryMinMs: 5000, retryMaxMs: 600_000, checkIntervalMs: 86_400_000 });
  let n = 0;
  const publish = () => {
    n++;
    const img = image(10_000, 20 + n);
    r.server.files.set(MANIFEST, manifestFor(img, `1.1.${n}`, `/firmware/image-1.1.${n}.bin`));
    r.server.files.set(`/firmware/image-1.1.${n}.bin`, image(10_000, 100 + n)); // never the digest's bytes
  };
  publish();
  r.fetcher.start();
  const at: number[] = [];
  for (let i = 0; i < 6; i++) {
    assert.ok(r.clock.until(() => rejections(r.events).length > i, 3_600_000, 100), `rejection ${i + 1}`);
    at.push(r.clock.now);
    publish(); // a new (bad) image each time: never "unchanged"
  }
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! > gaps[i - 1]! * 1.5, `gaps grow: ${gaps.join(', ')} ms`);
});
