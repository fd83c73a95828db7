/**
 * strongSwan's own initiator on the device's path (the bench's side-by-side mode): charon in a
 * namespace of its own, its outer packets carried over PPP frames through the same modem
 * emulator, slirp and gateway as the device. A virtual IP, the gateway's DNS server, a name
 * resolved and a UDP echo through the tunnel, and both ways metered at the modem emulator.
 */
import assert from 'node:assert/strict';
import { totals } from '../lab/air-meter.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { labTest, startLab } from '../lab/harness.ts';
import { DNS_ADDRESS, ECHO_ADDRESS, ECHO_PORT } from '../lab/lab.ts';
import { ikeSas, type ViciSection } from '../lab/vici-text.ts';

labTest('strongSwan initiator over PPP through the modem emulator: virtual IP, DNS, UDP echo through the tunnel, frames metered both ways', async (t) => {
  const lab = await startLab(t, { modem: { registrationDelayMs: 50 }, swanInitiator: { device: labDeviceConfig() } });
  const initiator = lab.initiator!;
  const meter = lab.modem!.meter;
  const mark = meter.mark();

  const up = await initiator.connect();
  assert.match(up.virtualIp, /^192\.0\.2\.\d+$/, 'a virtual IP from the gateway pool');
  assert.deepEqual(up.dns, [DNS_ADDRESS], 'the DNS server of the gateway CP reply');
  assert.ok(up.linkUpAt <= up.firstPacketAt && up.firstPacketAt <= up.childUpAt, `link up ${up.linkUpAt}, first packet ${up.firstPacketAt}, CHILD_SA ${up.childUpAt}`);

  const sa = ikeSas(await lab.gateway.listSas())[0]?.sa;
  assert.ok(sa, 'the gateway lists the initiator');
  assert.equal(sa['state'], 'ESTABLISHED');
  assert.equal(sa['remote-id'], 'device1.example.com', 'the device identity');
  assert.equal(sa['remote-host'], '127.0.0.1', 'through the carrier NAT');
  assert.deepEqual(sa['remote-vips'], [up.virtualIp]);
  const child = Object.values(sa['child-sas'] as ViciSection)[0] as ViciSection;
  assert.equal(child['encap'], 'yes', 'ESP in UDP');

  await initiator.echo(ECHO_ADDRESS, ECHO_PORT, 'through the tunnel from strongSwan');
  assert.ok(lab.echoLog().some((l) => l.startsWith(`from ${up.virtualIp}:`)), `the echo saw the virtual IP: ${lab.echoLog().join(' | ')}`);
  assert.equal(await initiator.lookup('echo.lab.example', up.dns[0]!), ECHO_ADDRESS);
  assert.ok(lab.dnsLog().includes(`query echo.lab.example from ${up.virtualIp}`), 'the query went through the tunnel');

  const frames = meter.since(mark);
  const sum = totals(frames);
  for (const cause of ['lcp', 'ipcp', 'ike-sa-init', 'ike-auth', 'esp'] as const) {
    const c = sum.byCause[cause];
    assert.ok(c && c.up > 0 && c.down > 0, `${cause} frames both ways: ${JSON.stringify(sum.byCause)}`);
  }
  const init = frames.filter((f) => f.cause === 'ike-sa-init');
  assert.ok(init.some((f) => f.dir === 'up' && !f.response) && init.some((f) => f.dir === 'down' && f.response), 'IKE_SA_INIT request up, response down');
  assert.equal(sum.byCause['bad-fcs'], undefined, 'every frame intact');

  await initiator.disconnect();
  assert.equal(ikeSas(await lab.gateway.listSas()).length, 0, 'the initiator deleted its IKE SA at the gateway');
  assert.equal(lab.modem!.state, 'command', 'the bridge hung up');
}, 120_000);
