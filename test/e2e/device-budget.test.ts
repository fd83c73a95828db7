/**
 * The device's RAM budget holds: the ESP32 build (preloaded by the Moddable SDK's xsl, the
 * manifest's `creation`: fixed chunk and slot heaps, fixed stack) runs on Linux (hosts/xs-device,
 * 32-bit XS as on the ESP32) against the lab: the tunnel comes up, 1400-byte datagrams stream
 * through it, the gateway rekeys the CHILD SA and (refused, so the device does it) the IKE SA.
 * XS aborting for memory or stack fails the test: the manifest's `creation` no longer fits.
 * The bundle is the device's own: x25519 / ChaCha20-Poly1305 only (no P-256, AES-GCM or CBC code in it),
 * on the native crypto backend (hosts/native/crypto), so no turn waits on a JavaScript scalar
 * multiplication: the longest turn (computrons, metered as xsnap) stays under LONGEST_TURN.
 *
 * Needs the lab (root) and the Moddable SDK; skips without them, except under CI=true.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labTest, startLab } from '../lab/harness.ts';
import { findModdableSdk } from '../../scripts/moddable-sdk.ts';
import { ESP32_TEMPLATE } from '../../scripts/build-esp32.ts';
import type { Creation } from '../../scripts/xs-device.ts';
import { buildLabDevice, DEVICE_PROPOSALS, heapBytes, phasePeaks, runScenario, SLOT_BYTES, STREAM } from '../../hosts/xs-device/budget.ts';
import { describeHeap } from '../../hosts/xs-device/device.ts';

const creation = (JSON.parse(fs.readFileSync(ESP32_TEMPLATE, 'utf8')) as { creation: Creation }).creation;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
/**
 * The longest turn after the main module's, native crypto: measured 326 k computrons (a timer turn that
 * seals and frames a 1400 B datagram: PPP escaping and FCS in JavaScript), + 25 %. noble's x25519
 * alone is 1.01 M (test/e2e/turn-budget-xs.test.ts).
 */
const LONGEST_TURN = 410_000;

labTest(`the ESP32 build fits its creation (${creation.heap.initial} slots + ${kb(creation.chunk.initial)} chunks, stack ${creation.stack}): tunnel, ${STREAM.probeCount} × ${STREAM.probeSize} B, CHILD and IKE rekeys`, async (t) => {
  const sdk = findModdableSdk();
  if (!sdk.ok) throw new Error(`the Moddable SDK is needed: ${sdk.reason}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-budget-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const build = await buildLabDevice(sdk.sdk, work);
  assert.deepEqual(build.creation, creation, 'built with the manifest\'s creation');
  assert.doesNotMatch(build.bundle.readable, /\bp256\b|\bgcm\b|\baescbc\b/, 'only the configured algorithms are in the bundle');

  const lab = await startLab(t, { modem: { registrationDelayMs: 100 }, gateway: DEVICE_PROPOSALS });
  const r = await runScenario(lab, build.binary);
  assert.equal(r.run.abort, undefined, 'XS did not run out of memory or stack');
  assert.deepEqual(r.run.exceptions, [], 'no exception escaped a turn');
  assert.deepEqual({ received: r.probe.received, lost: r.probe.lost, corrupted: r.probe.corrupted }, { received: STREAM.probeCount, lost: 0, corrupted: 0 });
  for (const [when, heap] of Object.entries(r.live)) {
    t.diagnostic(`live ${when}: ${heap.slots} slots + ${heap.chunks} B chunks = ${kb(heapBytes(heap.slots, heap.chunks))}`);
  }
  assert.doesNotMatch(build.bundle.readable, /@noble/, 'the crypto is native');
  const longest = Math.max(...r.run.turns.slice(1).map((x) => x.compute));
  t.diagnostic(`longest turn ${longest} computrons (bound ${LONGEST_TURN}) of ${r.run.turns.length}`);
  assert.ok(longest <= LONGEST_TURN, `a turn of ${longest} computrons`);
  const whole = phasePeaks(r.phases).at(-1)!;
  t.diagnostic(`deepest stack ${whole.stack}/${creation.stack} slots; heap ${describeHeap(r.run.turns.at(-1)!.heap)}; ${SLOT_BYTES} B a slot`);
});
