/**
 * Every modem profile (src/modem/profiles) against the lab's ModemModel playing the same profile:
 * its boot chatter, its init commands, its registration reports, its reset command on the ladder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modemSection, type ModemManifest } from '../../src/modem/config.ts';
import { PROFILES } from '../../src/modem/profiles/index.ts';
import { PROFILE_NAMES } from '../../src/modem/profiles/names.ts';
import { linkRig, up } from './link-rig.ts';

test('profiles: every name the config takes has its data, and the data its name', () => {
  assert.deepEqual(Object.keys(PROFILES).sort(), [...PROFILE_NAMES].sort());
  for (const [name, p] of Object.entries(PROFILES)) assert.equal(p.name, name);
  assert.ok(PROFILE_NAMES.length >= 6);
});

test('profiles: a pulse left 0 in the config is the profile\'s; one set in the config wins', () => {
  const base = { ...(modemSection.defaults as ModemManifest), apn: 'internet' };
  assert.equal(modemSection.parse({ ...base, modemProfile: 'bg96' }).power.powerOffPulseMs, 800, 'BG95/BG96: 0.65..1.5 s');
  assert.equal(modemSection.parse({ ...base, modemProfile: 'bg96', modemPowerOffPulse: 1200 }).power.powerOffPulseMs, 1200);
  assert.equal(modemSection.parse({ ...base, modemProfile: 'sara-r4' }).profile.resetCommand, 'AT+CFUN=15');
});

for (const name of PROFILE_NAMES) {
  test(`profile ${name}: bring-up through its boot chatter, its init and registration reports; the reset rung sends ${PROFILES[name]!.resetCommand} and it comes back`, () => {
    const profile = PROFILES[name]!;
    const r = linkRig({ modemProfile: name }, { profile });
    up(r);
    const commands = r.model.commands;
    for (const c of profile.init) assert.ok(commands.includes(c), `init sent ${c}`);
    for (const w of profile.registration) assert.ok(commands.includes(`AT+${w}?`), `polled +${w}`);
    // A radio cycle that fails (the module ignores CFUN=0) climbs to the reset rung: the profile's command.
    r.model.wedge();
    r.advance(10 * 60_000);
    assert.ok(r.rungs().includes('reset'));
    assert.ok(r.logLines.some((l) => l.includes(`> ${profile.resetCommand}`) || l.includes(profile.resetCommand)), `${profile.resetCommand} was sent`);
  });
}
