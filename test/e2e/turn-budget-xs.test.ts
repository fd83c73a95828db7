/**
 * The device's longest turn (issue 12): the agent in XS with the ESP32 manifest's proposals
 * (x25519, ChaCha20-Poly1305) against the lab, through bring-up, a 1400-byte stream and the
 * device's own CHILD and IKE SA rekeys. A turn is synchronous on the device: the UART and every
 * timer wait for it. Each key exchange step (key pair, shared secret, SA keys, AUTH, CHILD SA)
 * has a turn of its own, so no turn may cost more than noble's x25519 scalar multiplication
 * (the one step that cannot be split) plus the agent's own turn overhead. Computrons are
 * deterministic: the bound is the same on every machine. With PFS, the device's CHILD SA rekeys
 * are held to it too; the gateway's PFS rekey, answered in the turn that reads it, is not (README).
 */
import assert from 'node:assert/strict';
import { bundleForXs } from '../../hosts/xs/bundle.ts';
import { XsScript } from '../../hosts/xs/script.ts';
import type { TurnUsage } from '../../hosts/xs/worker.ts';
import { DEVICE_PROPOSALS } from '../../hosts/xs-device/budget.ts';
import { labTest, startLab } from '../lab/harness.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { makeXsDevice } from './device-hosts.ts';

/** What a turn of the agent's own may add to a primitive it calls (dispatch, deadlines, logs). */
const TURN_OVERHEAD = 25_000;

/** noble's x25519 with a peer's public value (not the base point), alone in an XS turn. */
async function x25519Floor(): Promise<number> {
  const xs = await XsScript.load(await bundleForXs({
    contents: `import { x25519 } from '@noble/curves/ed25519.js';
      const sk = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
      const peer = x25519.scalarMult(Uint8Array.from({ length: 32 }, (_, i) => 200 - i), Uint8Array.of(9, ...new Uint8Array(31)));
      globalThis.shared = () => x25519.scalarMult(sk, peer).length;`,
  }));
  try {
    return (await xs.call<number>('shared()')).compute;
  } finally {
    await xs.close();
  }
}

const SCENARIOS = [
  { name: 'ESP32 proposals', proposals: DEVICE_PROPOSALS },
  // PFS: each CHILD SA rekey of the device's also carries an x25519 exchange.
  { name: 'ESP32 proposals with PFS', proposals: { ...DEVICE_PROPOSALS, espProposals: DEVICE_PROPOSALS.espProposals.map((p) => `${p}-x25519`) } },
];

for (const scenario of SCENARIOS) {
  labTest(`no device turn is longer than one x25519 scalar multiplication: bring-up, 1400 B stream, the device's CHILD and IKE rekeys (XS, ${scenario.name})`, async (t) => {
    const floor = await x25519Floor();
    const lab = await startLab(t, { modem: { registrationDelayMs: 100 }, gateway: scenario.proposals });
    const turns: TurnUsage[] = [];
    const config = labDeviceConfig({ ...scenario.proposals, childLifetime: 10, ikeLifetime: 16, probeTarget: '198.51.100.10:7', probeCount: 60, probeSize: 1400 });
    const device = await makeXsDevice({ config, serialPath: lab.serialPath }, (turn) => turns.push(turn));
    t.after(() => device.close());
    await device.start();
    const count = (type: string) => device.events.filter((e) => e.type === type).length;
    await device.waitFor((e) => e.type === 'probe-result', 120_000, 'the 1400 B stream');
    await device.waitFor(() => count('ike-rekeyed') >= 1 && count('child-rekeyed') >= 1, 60_000, 'the device\'s CHILD and IKE SA rekeys');
    await device.stop();
    assert.equal(device.unexpectedErrors(), 0);
    if (scenario.proposals !== DEVICE_PROPOSALS) assert.match(lab.gateway.log(), /CREATE_CHILD_SA (request|response) \d+ \[ (N\(REKEY_SA\) )?SA No KE TSi TSr \]/, 'CHILD SA rekeys carried a key exchange (PFS)');

    const agentTurns = turns.filter((x) => x.kind !== 'load');
    const longest = [...agentTurns].sort((a, b) => b.compute - a.compute).slice(0, 5);
    const shown = longest.map((x) => `${x.kind} ${x.compute.toLocaleString('en')}`).join(', ');
    console.log(`${scenario.name}: x25519 alone ${floor.toLocaleString('en')} computrons; the five longest of ${agentTurns.length} agent turns: ${shown}`);
    assert.ok(longest[0]!.compute <= floor + TURN_OVERHEAD, `a turn did more than one key-exchange step (x25519 alone: ${floor}): ${shown}`);
  }, 240_000);
}
