/**
 * Every modem profile end to end: the lab's emulator plays the profile (its boot lines, its reset
 * command), the agent (Node) is configured with the same modemProfile, and the tunnel comes up
 * through slirp and strongSwan with a datagram echoed. What this verifies is the emulator playing
 * the manual, not the hardware (docs/modems.md).
 */
import assert from 'node:assert/strict';
import { PROFILES } from '../../src/modem/profiles/index.ts';
import { PROFILE_NAMES } from '../../src/modem/profiles/names.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { EchoChecker } from '../lab/echo-checker.ts';
import { labTest, startLab } from '../lab/harness.ts';
import { ECHO_ADDRESS, ECHO_PORT } from '../lab/lab.ts';
import { nodeHost } from './device-hosts.ts';
import { waitUntil } from './fault-cases.ts';

for (const name of PROFILE_NAMES) {
  const profile = PROFILES[name]!;
  labTest(`profile ${name}: boot chatter (${profile.bootChatter.join(', ') || 'none'}), init, registration, dial, PPP, IKE: a tunnel carries an echo`, async (t) => {
    const lab = await startLab(t, { modem: { registrationDelayMs: 100, profile } });
    const device = await nodeHost.make({ config: labDeviceConfig({ modemProfile: name }), serialPath: lab.serialPath });
    t.after(() => device.close());
    await device.start();
    await device.waitFor((e) => e.type === 'child-up', 90_000, 'the tunnel');
    const checker = new EchoChecker(device.openUdp!(ECHO_ADDRESS, ECHO_PORT), { intervalMs: 200 });
    t.after(() => checker.close());
    checker.start();
    await waitUntil(() => checker.report().received >= 3, 15_000, 'echoes');
    const commands = lab.modem!.model.commands;
    for (const c of profile.init) assert.ok(commands.includes(c), `init sent ${c}`);
    for (const w of profile.registration) assert.ok(commands.includes(`AT+${w}?`), `polled +${w}`);
    assert.equal(device.unexpectedErrors(), 0);
    await device.stop();
  }, 120_000);
}
