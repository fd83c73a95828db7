/**
 * IkeSession against the real strongSwan gateway of the lab, on UDP sockets inside the wan
 * namespace (the driver claims to be 10.0.2.15, so NAT is detected as it is behind slirp).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { labTest, startLab } from '../lab/harness.ts';
import type { Lab } from '../lab/lab.ts';
import type { GatewayOptions } from '../lab/strongswan.ts';
import { ikeSas, type ViciSection } from '../lab/vici-text.ts';
import type { IkeSessionConfig } from '../../src/ike/session-types.ts';
import { deviceConfig, driverArgs, IkeDriver, type DriverLine } from './drivers/run-ike-driver.ts';
import type { DriverArgs } from './drivers/ike-udp-driver.ts';

function startDriver(t: TestContext, lab: Lab, config: IkeSessionConfig, extra: Partial<DriverArgs> = {}): IkeDriver {
  const d = new IkeDriver(lab, driverArgs(config, extra));
  t.after(() => d.kill());
  return d;
}

function dumpOnFailure(t: TestContext, lab: Lab, d: () => IkeDriver | undefined): void {
  t.after(() => {
    if (process.env.IKELET_E2E_VERBOSE) {
      console.log(d()?.stderr.slice(-6000));
      console.log(lab.gateway.log().slice(-6000));
    }
  });
}

interface TunnelCase {
  name: string;
  gateway: Partial<GatewayOptions>;
  device: Partial<IkeSessionConfig>;
  ikeSuite: string;
  espSuite: string;
}

async function provesTunnel(t: TestContext, c: TunnelCase): Promise<void> {
  const lab = await startLab(t, { slirp: false, gateway: c.gateway });
  let driver: IkeDriver | undefined;
  dumpOnFailure(t, lab, () => driver);
  driver = startDriver(t, lab, deviceConfig(c.device));
  const up = await driver.waitFor('ike-up', (l) => l.event?.type === 'ike-up');
  const childUp = (await driver.waitFor('child-up', (l) => l.event?.type === 'child-up')).event!;
  assert.equal(up.event!.suite, c.ikeSuite);
  assert.equal(up.event!.natT, true, 'NAT detected: IKE floated to 4500');
  assert.equal(childUp.suite, c.espSuite);
  assert.match(String(childUp.virtualIp), /^192\.0\.2\.\d+$/);
  assert.deepEqual(childUp.dns, ['198.51.100.53']);
  assert.deepEqual(childUp.ts, { local: [`${childUp.virtualIp}/32`], remote: ['198.51.100.0/24'] });

  const result = await driver.waitFor('result', (l) => l.type === 'result', 20_000);
  assert.equal(result.sent, 100);
  assert.deepEqual(result.missing, [], 'no datagram lost');
  assert.equal(result.received, 100, 'all 100 came back');
  assert.equal(result.mismatched, 0, 'byte-exact');

  const sas = ikeSas(await lab.gateway.listSas());
  assert.equal(sas.length, 1, 'one IKE SA on the gateway');
  const sa = sas[0]!.sa;
  assert.equal(sa.state, 'ESTABLISHED');
  assert.equal(sa['nat-remote'], 'yes', 'the gateway sees the device behind a NAT');
  // swanctl prints lists as "remote-vips = [": the lab's parser keeps the " =" in the key.
  assert.deepEqual(sa['remote-vips'] ?? sa['remote-vips ='], [childUp.virtualIp]);
  const children = Object.values(sa['child-sas'] as ViciSection) as ViciSection[];
  assert.equal(children.length, 1);
  assert.equal(children[0]!.state, 'INSTALLED');
  assert.equal(children[0]!.encap, 'yes');
  assert.equal(children[0]!['spi-in'], (childUp.espSpiOut as number).toString(16).padStart(8, '0'), 'gateway inbound SPI = our outbound');
  assert.equal(children[0]!['spi-out'], (childUp.espSpiIn as number).toString(16).padStart(8, '0'));
  assert.equal(children[0]!['packets-in'], '100');
  const fromVip = lab.echoLog().filter((l) => l.startsWith(`from ${childUp.virtualIp}:`));
  assert.equal(fromVip.length, 100, 'the echo service saw every datagram from the virtual IP');

  driver.close();
  const done = await driver.waitFor('done', (l) => l.type === 'done', 5000);
  assert.equal(await driver.exited, 0);
  assert.equal((done.counters as { dropped: number }).dropped, 0, `no IKE message dropped: ${JSON.stringify(done.drops)}`);
  // The DELETE reached the gateway.
  for (let i = 0; i < 40 && ikeSas(await lab.gateway.listSas()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(ikeSas(await lab.gateway.listSas()).length, 0, 'our DELETE removed the IKE SA on the gateway');
  t.diagnostic(`${c.name}: ike-up at ${up.t} ms (attempt ${up.event!.attempt}, ${up.event!.elapsedMs} ms IKE), 100 echoes by ${result.t} ms`);
}

const tunnelCases: TunnelCase[] = [
  { name: 'aes128gcm16-prfsha256-x25519 / aes128gcm16', gateway: {}, device: {}, ikeSuite: 'aes128gcm16-prfsha256-x25519', espSuite: 'aes128gcm16' },
  {
    name: 'aes256gcm16-prfsha384-ecp256 / aes256gcm16',
    gateway: { ikeProposals: ['aes256gcm16-prfsha384-ecp256'], espProposals: ['aes256gcm16'] },
    device: { ikeProposals: ['aes256gcm16-prfsha384-ecp256'], espProposals: ['aes256gcm16'] },
    ikeSuite: 'aes256gcm16-prfsha384-ecp256', espSuite: 'aes256gcm16',
  },
  {
    name: 'chacha20poly1305-prfsha256-x25519 / chacha20poly1305',
    gateway: { ikeProposals: ['chacha20poly1305-prfsha256-x25519'], espProposals: ['chacha20poly1305'] },
    device: { ikeProposals: ['chacha20poly1305-prfsha256-x25519'], espProposals: ['chacha20poly1305'] },
    ikeSuite: 'chacha20poly1305-prfsha256-x25519', espSuite: 'chacha20poly1305',
  },
  {
    name: 'aes128-sha256-prfsha256-x25519 / aes128-sha256 (CBC + HMAC for IKE and ESP)',
    gateway: { ikeProposals: ['aes128-sha256-prfsha256-x25519'], espProposals: ['aes128-sha256'] },
    device: { ikeProposals: ['aes128-sha256-prfsha256-x25519'], espProposals: ['aes128-sha256'] },
    ikeSuite: 'aes128-sha256-prfsha256-x25519', espSuite: 'aes128-sha256',
  },
];

for (const c of tunnelCases) {
  labTest(`ike e2e: tunnel ${c.name}: 100 datagrams echo byte-exact through strongSwan`, (t) => provesTunnel(t, c));
}

// strongSwan 5.9 treats a threshold of 0 as "cookies off", so the gateway gets threshold 1 per IP
// and the driver first leaves one half-open IKE SA from 127.0.0.1: from then on it demands COOKIEs.
labTest('ike e2e: gateway demands a COOKIE (half-open SA from our IP, threshold 1): tunnel still comes up', async (t) => {
  const lab = await startLab(t, { slirp: false, gateway: { cookieThreshold: 1, cookieThresholdIp: 1 } });
  const driver = startDriver(t, lab, deviceConfig(), { count: 10, decoyInit: true });
  const up = await driver.waitFor('child-up', (l) => l.event?.type === 'child-up');
  assert.ok(up);
  const result = await driver.waitFor('result', (l) => l.type === 'result', 20_000);
  assert.equal(result.received, 10);
  assert.equal(driver.lines.find((l) => l.type === 'decoy')?.answered, true, 'the decoy left a half-open SA');
  assert.match(driver.stderr, /gateway asked for a COOKIE/, 'the session saw the COOKIE request');
  assert.equal(driver.events('ike-error').length, 0);
  driver.close();
  assert.equal(await driver.exited, 0);
});

labTest('ike e2e: INVALID_KE_PAYLOAD: x25519 offered first, gateway only takes ecp256: retry with ecp256', async (t) => {
  const lab = await startLab(t, { slirp: false, gateway: { ikeProposals: ['aes128gcm16-prfsha256-ecp256'] } });
  const driver = startDriver(t, lab, deviceConfig({ ikeProposals: ['aes128gcm16-prfsha256-x25519', 'aes128gcm16-prfsha256-ecp256'] }), { count: 10 });
  const up = await driver.waitFor('ike-up', (l) => l.event?.type === 'ike-up');
  assert.equal(up.event!.suite, 'aes128gcm16-prfsha256-ecp256');
  assert.equal(up.event!.attempt, 1, 'within the first attempt');
  const result = await driver.waitFor('result', (l) => l.type === 'result', 20_000);
  assert.equal(result.received, 10);
  assert.match(driver.stderr, /another group: resending IKE_SA_INIT with KE ecp256/);
  driver.close();
  assert.equal(await driver.exited, 0);
});

async function endsInError(t: TestContext, gateway: Partial<GatewayOptions>, device: Partial<IkeSessionConfig>, cause: string, extra: Partial<DriverArgs> = {}): Promise<DriverLine[]> {
  const lab = await startLab(t, { slirp: false, gateway });
  let driver: IkeDriver | undefined;
  dumpOnFailure(t, lab, () => driver);
  driver = startDriver(t, lab, deviceConfig({ maxAttempts: 3, ...device }), extra);
  const started = Date.now();
  const final = await driver.waitFor('final ike-error', (l) => l.event?.type === 'ike-error' && l.event.fatal === true, 30_000);
  assert.equal(await driver.exited, 0, 'the driver exits normally');
  const errors = driver.events('ike-error');
  assert.equal(errors.length, 3, 'one error per attempt, maxAttempts = 3');
  assert.deepEqual(errors.map((e) => e.attempt), [1, 2, 3]);
  assert.deepEqual(errors.map((e) => e.fatal), [false, false, true]);
  for (const e of errors) assert.equal(e.cause, cause, `cause: ${String(e.detail)}`);
  assert.equal(driver.events('ike-connecting').length, 3, 'no more attempts than allowed');
  assert.equal(driver.events('child-up').length, 0);
  // Backoff: attempts 2 and 3 come after 300 and 600 ms.
  const connects = driver.lines.filter((l) => l.event?.type === 'ike-connecting').map((l) => l.t!);
  assert.ok(connects[1]! - connects[0]! >= 250 && connects[2]! - connects[1]! >= 550, `backoff between attempts: ${connects.join(', ')}`);
  assert.ok(Date.now() - started < 30_000);
  t.diagnostic(`${cause}: final error after ${final.t} ms: ${String(final.event!.detail)}`);
  return driver.lines;
}

labTest('ike e2e: wrong PSK ends in AUTHENTICATION_FAILED after maxAttempts, no crash', async (t) => {
  await endsInError(t, {}, { psk: 'not-the-lab-psk' }, 'AUTHENTICATION_FAILED');
});

labTest('ike e2e: gateway identity mismatch (IDr sent): the gateway refuses, AUTHENTICATION_FAILED', async (t) => {
  await endsInError(t, {}, { remoteId: 'other-gateway.example.net' }, 'AUTHENTICATION_FAILED');
});

labTest('ike e2e: gateway identity mismatch (no IDr sent): we refuse its IDr, PEER_ID_MISMATCH', async (t) => {
  const extra = { options: { ...driverArgs(deviceConfig()).options, sendRemoteId: false } };
  await endsInError(t, {}, { remoteId: 'other-gateway.example.net' }, 'PEER_ID_MISMATCH', extra);
});

labTest('ike e2e: no common IKE proposal ends in NO_PROPOSAL_CHOSEN', async (t) => {
  await endsInError(t, { ikeProposals: ['aes256gcm16-prfsha384-ecp256'] }, { ikeProposals: ['chacha20poly1305-prfsha256-x25519'] }, 'NO_PROPOSAL_CHOSEN');
});

labTest('ike e2e: no common ESP proposal ends in NO_PROPOSAL_CHOSEN for the CHILD SA', async (t) => {
  await endsInError(t, { espProposals: ['aes256gcm16'] }, { espProposals: ['chacha20poly1305'] }, 'NO_PROPOSAL_CHOSEN');
});

labTest('ike e2e: gateway DPD (dpd_delay 1 s) is answered; a gateway-side terminate makes the session start over', async (t) => {
  const lab = await startLab(t, { slirp: false, gateway: { dpdDelay: 1 } });
  let driver: IkeDriver | undefined;
  dumpOnFailure(t, lab, () => driver);
  driver = startDriver(t, lab, deviceConfig(), { count: 5, options: { ...driverArgs(deviceConfig()).options, restartDelayMs: 500 } });
  await driver.waitFor('result', (l) => l.type === 'result', 20_000);
  // Idle for a while: charon checks liveness every second; unanswered it would close the SA.
  await new Promise((r) => setTimeout(r, 3500));
  assert.match(lab.gateway.log(), /sending DPD request/);
  assert.equal(ikeSas(await lab.gateway.listSas())[0]?.sa.state, 'ESTABLISHED', 'still up after the DPD checks');
  assert.equal(driver.events('ike-down').length, 0);

  await lab.gateway.swanctlCmd('--terminate', '--ike', 'device');
  await driver.waitFor('ike-down', (l) => l.event?.type === 'ike-down');
  assert.equal(driver.events('ike-down')[0]!.reason, 'gateway deleted the IKE SA');
  await driver.waitFor('second child-up', () => driver!.events('child-up').length >= 2, 10_000);
  await driver.waitFor('second result', () => driver!.lines.filter((l) => l.type === 'result').length >= 2, 20_000);
  const results = driver.lines.filter((l) => l.type === 'result');
  assert.equal(results[1]!.received, 5, 'traffic flows through the new SA');
  driver.close();
  const done = await driver.waitFor('done', (l) => l.type === 'done', 5000);
  assert.ok((done.counters as { peerRequests: number }).peerRequests >= 3, 'DPD requests and the DELETE were answered');
  assert.equal(await driver.exited, 0);
});
