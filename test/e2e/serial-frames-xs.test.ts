/**
 * Whole frames from the serial line (issue 25 item 2), on the ESP32 build's Linux twin
 * (hosts/xs-device) against the lab: while 1400-byte datagrams are echoed through the tunnel, the
 * twin's UART read gathers a PPP frame up to its closing flag (or a short idle), so a PPP frame
 * costs one serial turn, not one per few bytes read (measured before: 52 serial turns a round
 * trip); and the per-byte work (HDLC, FCS, checksums) runs in hosts/native/frame. The echoed
 * datagram comes back as two IPv4 fragments (the ESP packet outgrows the gateway's MTU), so two
 * frames: 2 serial turns a round trip; 3 leaves room for a frame cut by an idle on a busy machine.
 * Prints the turns and computrons per round trip.
 *
 * Needs the lab (root) and the Moddable SDK; skips without them, except under CI=true.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labTest, startLab } from '../lab/harness.ts';
import { findModdableSdk } from '../../scripts/moddable-sdk.ts';
import { buildLabDevice, DEVICE_PROPOSALS, ROOMY, runScenario, STREAM } from '../../hosts/xs-device/budget.ts';

labTest(`twin: a ${STREAM.probeSize} B datagram echoed through the tunnel reads its reply in at most 3 serial turns (a turn per PPP frame)`, async (t) => {
  const sdk = findModdableSdk();
  if (!sdk.ok) throw new Error(`the Moddable SDK is needed: ${sdk.reason}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-frames-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const build = await buildLabDevice(sdk.sdk, work, ROOMY);
  const lab = await startLab(t, { modem: { registrationDelayMs: 100 }, gateway: DEVICE_PROPOSALS });
  const r = await runScenario(lab, build.binary);
  assert.deepEqual(r.run.exceptions, [], 'no exception escaped a turn');
  assert.equal(r.probe.received, STREAM.probeCount, 'every datagram echoed');

  const stream = r.phases.find((p) => p.name.startsWith('ESP stream'))!.turns;
  const before = r.run.turns[stream[0]!.index - 1]!.heap.meter;
  const computrons = stream.at(-1)!.heap.meter - before;
  const serial = stream.filter((turn) => turn.kind === 'serial').length;
  t.diagnostic(`stream: ${stream.length} turns (${serial} serial) and ${computrons} computrons for ${STREAM.probeCount} round trips: ` +
    `${(serial / STREAM.probeCount).toFixed(1)} serial turns, ${Math.round(computrons / STREAM.probeCount)} computrons per ${STREAM.probeSize} B round trip`);
  assert.ok(serial <= 3 * STREAM.probeCount, `${serial} serial turns for ${STREAM.probeCount} echoed datagrams`);
});
