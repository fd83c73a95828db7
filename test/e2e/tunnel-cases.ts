/**
 * The tunnel end to end, on the mission's path: agent → modem emulator → slirp (PPP, carrier
 * NAT) → strongSwan (IKEv2, ESP in UDP 4500) → private network (DNS, UDP echo).
 * The same cases run for every device host: tunnel.test.ts (Node), tunnel-xs.test.ts (XS).
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { labTest, startLab } from '../lab/harness.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import type { Lab } from '../lab/lab.ts';
import type { GatewayOptions } from '../lab/strongswan.ts';
import { ikeSas, type ViciSection } from '../lab/vici-text.ts';
import type { DeviceHost, DeviceUnderTest } from './device-hosts.ts';

type Ev<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

async function bringUp(t: TestContext, host: DeviceHost, gateway: Partial<GatewayOptions>, config: Partial<ManifestConfig>): Promise<{ lab: Lab; device: DeviceUnderTest }> {
  const lab = await startLab(t, { gateway, modem: { registrationDelayMs: 100 } });
  const device = await host.make({ config: labDeviceConfig(config), serialPath: lab.serialPath });
  t.after(() => device.close());
  await device.start();
  return { lab, device };
}

function child(sa: ViciSection): ViciSection {
  const children = sa['child-sas'] as ViciSection | undefined;
  const first = children && Object.values(children)[0];
  assert.ok(first, `the gateway lists a CHILD SA: ${JSON.stringify(sa)}`);
  return first as ViciSection;
}

const SUITES: Array<{ name: string; ike: string; esp: string; gatewayEncr: RegExp }> = [
  { name: 'a', ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16', gatewayEncr: /AES_GCM_16/ },
  { name: 'b', ike: 'aes256gcm16-prfsha384-ecp256', esp: 'aes256gcm16', gatewayEncr: /AES_GCM_16/ },
  { name: 'c', ike: 'chacha20poly1305-prfsha256-x25519', esp: 'chacha20poly1305', gatewayEncr: /CHACHA20_POLY1305/ },
  { name: 'd', ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128-sha256', gatewayEncr: /AES_CBC/ },
];

export function defineTunnelTests(host: DeviceHost): void {
  for (const suite of SUITES) {
    labTest(`tunnel [${host.name}] (${suite.name}) ${suite.ike} / ESP ${suite.esp}: gateway lists the SAs, 100 datagrams echoed byte-exact from the virtual IP`, async (t) => {
      const { lab, device } = await bringUp(
        t,
        host,
        { ikeProposals: [suite.ike], espProposals: [suite.esp] },
        { ikeProposals: [suite.ike], espProposals: [suite.esp], probeTarget: 'echo.lab.example:7', probeCount: 100 },
      );
      const up = (await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel')) as Ev<'child-up'>;
      assert.match(up.virtualIp, /^192\.0\.2\.\d+$/, 'a virtual IP from the gateway pool');
      assert.deepEqual(up.dns, ['198.51.100.53'], 'the DNS server the gateway hands out');
      assert.equal(up.udpEncap, true, 'ESP in UDP across the carrier NAT');

      const sas = ikeSas(await lab.gateway.listSas());
      assert.equal(sas.length, 1, 'the gateway has one IKE SA');
      const sa = sas[0]!.sa;
      assert.equal(sa['state'], 'ESTABLISHED');
      assert.deepEqual(sa['remote-vips'], [up.virtualIp], 'the gateway assigned the same virtual IP');
      const c = child(sa);
      assert.equal(c['state'], 'INSTALLED');
      assert.equal(c['encap'], 'yes', 'the CHILD SA is UDP encapsulated');
      assert.match(String(c['encr-alg']), suite.gatewayEncr);

      const result = (await device.waitFor((e) => e.type === 'probe-result' || e.type === 'probe-error', 60_000, 'the probe')) as Ev<'probe-result'>;
      assert.equal(result.type, 'probe-result', JSON.stringify(result));
      assert.deepEqual({ sent: result.sent, received: result.received, lost: result.lost, corrupted: result.corrupted }, { sent: 100, received: 100, lost: 0, corrupted: 0 });
      const fromVip = lab.echoLog().filter((l) => l.startsWith(`from ${up.virtualIp}:`));
      assert.equal(fromVip.length, 100, 'the echo service saw 100 datagrams from the virtual IP');
      assert.ok(lab.dnsLog().some((l) => l === `query echo.lab.example from ${up.virtualIp}`), 'DNS went through the tunnel');
      assert.equal(device.unexpectedErrors(), 0);

      await device.stop();
      assert.equal(ikeSas(await lab.gateway.listSas()).length, 0, 'the device deleted its IKE SA at the gateway on stop');
    });
  }

  const failures: Array<{ name: string; gateway: Partial<GatewayOptions>; config: Partial<ManifestConfig>; cause: RegExp }> = [
    { name: 'a wrong PSK', gateway: { psk: 'the-gateway-has-another-key' }, config: {}, cause: /AUTHENTICATION_FAILED/ },
    { name: 'a gateway ID that does not match (IDr sent: the gateway refuses)', gateway: {}, config: { remoteId: 'other-gateway.example.net', sendRemoteId: true }, cause: /AUTHENTICATION_FAILED/ },
    { name: 'a gateway ID that does not match (the gateway proves another identity)', gateway: { localId: 'impostor.example.net' }, config: {}, cause: /PEER_ID_MISMATCH|AUTHENTICATION_FAILED/ },
    { name: 'no common IKE proposal', gateway: { ikeProposals: ['aes256-sha512-modp2048'] }, config: {}, cause: /NO_PROPOSAL_CHOSEN/ },
    { name: 'no common ESP proposal', gateway: { espProposals: ['aes256-sha512'] }, config: {}, cause: /NO_PROPOSAL_CHOSEN/ },
  ];
  for (const f of failures) {
    labTest(`tunnel [${host.name}]: ${f.name} ends in a clear error; the device goes on trying (at its longest interval when the refusal is authenticated), no crash, no busy loop`, async (t) => {
      // Two quick attempts, then a refusal the gateway authenticated counts as permanent: waits at the cap
      // (6 s here, 30 min by default). strongSwan's AUTHENTICATION_FAILED comes without its AUTH (RFC 7296
      // 2.21.2), so it may be forged: the normal backoff (5 s here, growing to the cap).
      const { device } = await bringUp(t, host, f.gateway, { ...f.config, maxAttempts: 2, retryInterval: 5, retryMaxInterval: 6, ikeRetransmitTries: 2 });
      const first = (await device.waitFor((e) => e.type === 'ike-error', 60_000, 'an IKE error')) as Ev<'ike-error'>;
      assert.match(`${first.cause} ${first.detail}`, f.cause);
      const second = (await device.waitFor((e) => e.type === 'ike-error' && e.attempt === 2, 60_000, 'the second attempt failing')) as Ev<'ike-error'>;
      const failedAt = Date.now();
      const trusted = second.cause !== 'AUTHENTICATION_FAILED';
      assert.equal(second.permanent, trusted, trusted ? 'the gateway refuses this configuration' : 'an unauthenticated refusal is not taken as permanent');
      const [low, high] = trusted ? [4800, 7200] : [4000, 6000];
      assert.ok(second.retryInMs >= low && second.retryInMs <= high, `${trusted ? 'the longest wait, 6 s' : 'the normal backoff, 5 s'} ± 20 %: ${second.retryInMs}`);
      await device.waitFor((e) => e.type === 'ike-connecting' && e.attempt === 3, 30_000, 'a third attempt: the device never gives up');
      assert.ok(Date.now() - failedAt >= 4000, `no busy loop: the third attempt waited ${Date.now() - failedAt} ms`);
      assert.ok(!device.events.some((e) => e.type === 'child-up'));
      assert.equal(device.unexpectedErrors(), 0, 'no crash');
      await device.stop();
    });
  }

  labTest(`tunnel [${host.name}]: a PSK with a backslash and a double quote reaches strongSwan as written: the tunnel comes up`, async (t) => {
    // swanctl.conf's lexer drops a backslash it does not see escaped: the gateway would load another secret.
    const psk = 'lab-psk \\ with "quotes" and a trailing backslash \\';
    const { lab, device } = await bringUp(t, host, { psk }, { psk, probeTarget: '198.51.100.10:7', probeCount: 5 });
    await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
    const result = (await device.waitFor((e) => e.type === 'probe-result', 30_000, 'the probe')) as Ev<'probe-result'>;
    assert.equal(result.received, 5);
    assert.equal(ikeSas(await lab.gateway.listSas()).length, 1);
    assert.ok(!device.events.some((e) => e.type === 'ike-error'), 'no AUTHENTICATION_FAILED');
    await device.stop();
  });

  labTest(`tunnel [${host.name}]: a gateway under load that demands a COOKIE still yields a tunnel`, async (t) => {
    // strongSwan 5.9 turns cookies off at threshold 0; at 1, one half-open SA makes it demand them.
    const lab = await startLab(t, { gateway: { cookieThreshold: 1, cookieThresholdIp: 1 }, modem: { registrationDelayMs: 100 } });
    assert.ok(await lab.leaveHalfOpenIkeSa(), 'the decoy IKE_SA_INIT was answered and left half open');
    const device = await host.make({ config: labDeviceConfig({ probeTarget: '198.51.100.10:7', probeCount: 10 }), serialPath: lab.serialPath });
    t.after(() => device.close());
    await device.start();
    await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
    const result = (await device.waitFor((e) => e.type === 'probe-result', 30_000, 'the probe')) as Ev<'probe-result'>;
    assert.equal(result.received, 10);
    assert.match(lab.gateway.log(), /sending COOKIE notify/i, 'the gateway did demand a cookie');
    await device.stop();
  });

  labTest(`tunnel [${host.name}]: gateway DPD is answered; a gateway-side delete makes the device re-establish`, async (t) => {
    const { lab, device } = await bringUp(t, host, { dpdDelay: 1 }, { probeTarget: '198.51.100.10:7', probeCount: 5 });
    const first = (await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel')) as Ev<'child-up'>;
    await device.waitFor((e) => e.type === 'probe-result', 30_000, 'the first probe');
    await new Promise((r) => setTimeout(r, 3500));
    assert.match(lab.gateway.log(), /sending DPD request/, 'the gateway checked liveness');
    assert.equal(ikeSas(await lab.gateway.listSas())[0]?.sa['state'], 'ESTABLISHED', 'still up after the DPD checks');

    await lab.gateway.swanctlCmd('--terminate', '--ike', 'device');
    await device.waitFor((e) => e.type === 'ike-down' || e.type === 'child-down', 10_000, 'the device to notice the delete');
    const again = (await device.waitFor((e) => e.type === 'child-up' && e !== first, 30_000, 'the tunnel again')) as Ev<'child-up'>;
    assert.match(again.virtualIp, /^192\.0\.2\.\d+$/);
    const probes = await device.waitFor((e) => e.type === 'probe-result' && device.events.filter((x) => x.type === 'probe-result').length >= 2, 30_000, 'the second probe');
    assert.equal((probes as Ev<'probe-result'>).received, 5, 'traffic flows again after re-establishing');
    assert.equal(device.unexpectedErrors(), 0);
    await device.stop();
  });

  // A carrier loss or a modem reboot keeps the SAs (linkLossHold): the new PPP link moves them,
  // by MOBIKE where the gateway has it, else by RFC 7296 2.23 (the carrier NAT makes the gateway
  // follow). The lab's gateway (kernel-libipsec) cannot update an installed SA's addresses: it
  // rekeys the CHILD SA right after the move (no DH without PFS); a kernel-XFRM gateway keeps it.
  // Traffic across the move: fault-cases.ts (carrier-loss-mobike).
  const moves: Array<{ fault: 'carrier lost (NO CARRIER)' | 'modem rebooted (RDY)'; mobike: boolean }> = [
    { fault: 'carrier lost (NO CARRIER)', mobike: true },
    { fault: 'modem rebooted (RDY)', mobike: true },
    { fault: 'carrier lost (NO CARRIER)', mobike: false },
  ];
  for (const { fault, mobike } of moves) {
    labTest(`tunnel [${host.name}]: ${fault}, gateway mobike = ${mobike ? 'yes' : 'no'}: the new link moves the same IKE SA (${mobike ? 'UPDATE_SA_ADDRESSES' : 'RFC 7296 2.23'}), no new IKE SA, no stale SA at the gateway`, async (t) => {
      const { lab, device } = await bringUp(t, host, { mobike }, { probeTarget: '198.51.100.10:7', probeCount: 5 });
      const first = (await device.waitFor((e) => e.type === 'probe-result', 60_000, 'the first probe')) as Ev<'probe-result'>;
      assert.equal(first.received, 5);
      const up = device.events.find((e) => e.type === 'ike-up') as Ev<'ike-up'>;
      if (fault.startsWith('carrier')) lab.modem!.dropCarrier();
      else lab.modem!.reboot();
      await device.waitFor((e) => e.type === 'link-down', 20_000, 'the device to notice');
      const moved = (await device.waitFor((e) => e.type === 'ike-moved', 60_000, 'the SAs to move to the new link')) as Ev<'ike-moved'>;
      assert.equal(moved.mobike, mobike, mobike ? 'MOBIKE negotiated with the gateway' : 'no MOBIKE: the RFC 7296 2.23 path');
      await device.waitFor((e) => e.type === 'child-rekeyed' && e.by === 'gateway', 15_000, "the lab gateway's CHILD SA rekey after the move");
      assert.equal(device.events.filter((e) => e.type === 'ike-connecting').length, 1, 'no new IKE SA');
      assert.equal(device.events.filter((e) => e.type === 'child-down' || e.type === 'ike-down').length, 0, 'nothing torn down');
      const esp = [...device.events].reverse().find((e) => e.type === 'child-rekeyed') as Ev<'child-rekeyed'>;
      let listed = '';
      const until = Date.now() + 10_000;
      for (;;) {
        const sas = ikeSas(await lab.gateway.listSas());
        const live = sas.length === 1 ? (Object.values((sas[0]!.sa['child-sas'] as ViciSection | undefined) ?? {}) as ViciSection[]).filter((c) => c['state'] !== 'DELETED') : [];
        listed = JSON.stringify(sas.map((s) => [s.sa['initiator-spi'], s.sa['responder-spi'], live.map((c) => [c['spi-in'], c['spi-out'], c['state']])]));
        const same = sas.length === 1 && sas[0]!.sa['initiator-spi'] === up.spiI && sas[0]!.sa['responder-spi'] === up.spiR;
        if (same && live.length === 1 && live[0]!['spi-in'] === hex8(esp.espSpiOut) && live[0]!['spi-out'] === hex8(esp.espSpiIn)) break;
        assert.ok(Date.now() < until, `the gateway should hold the same IKE SA ${up.spiI}/${up.spiR} and only the device's CHILD SA: ${listed}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.equal(device.unexpectedErrors(), 0);
      await device.stop();
    }, 180_000);
  }

  // Lifetimes compressed from hours to seconds. strongSwan's kernel-libipsec cannot rekey SAs younger
  // than ~5 s (its soft expiry rounds away), hence 10 s / 16 s. The IKE SA's over_time (how long it
  // may outlive rekey_time while a refused rekey is retried) defaults to 10% of rekey_time: 24 min
  // for a 4 h IKE SA, but only 1.6 s here, shorter than one retry; 10 s keeps the real proportions.
  const pfs = { espProposals: ['aes128gcm16-x25519'] };
  const rekeyDrivers: Array<{ who: string; gateway: Partial<GatewayOptions>; config: Partial<ManifestConfig> }> = [
    { who: 'the device (childLifetime 10 s, ikeLifetime 16 s)', gateway: {}, config: { childLifetime: 10, ikeLifetime: 16 } },
    { who: 'the gateway (CHILD rekey_time 10 s, IKE 16 s)', gateway: { childRekeyTime: 10, ikeRekeyTime: 16, ikeOverTime: 10 }, config: { childLifetime: 3600, ikeLifetime: 3600 } },
    { who: 'the device with PFS (ESP aes128gcm16-x25519)', gateway: pfs, config: { ...pfs, childLifetime: 10, ikeLifetime: 16 } },
    { who: 'the gateway with PFS (ESP aes128gcm16-x25519)', gateway: { ...pfs, childRekeyTime: 10, ikeRekeyTime: 16, ikeOverTime: 10 }, config: { ...pfs, childLifetime: 3600, ikeLifetime: 3600 } },
  ];
  for (const driver of rekeyDrivers) {
    labTest(`tunnel [${host.name}]: rekeys driven by ${driver.who} are make-before-break: 1500 datagrams across them all echoed, the gateway keeps only the newest SAs`, async (t) => {
      const { lab, device } = await bringUp(t, host, driver.gateway, { ...driver.config, probeTarget: '198.51.100.10:7', probeCount: 1500 });
      await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
      const count = (type: AgentEvent['type']) => device.events.filter((e) => e.type === type).length;
      const result = (await device.waitFor((e) => e.type === 'probe-result' || e.type === 'probe-error', 180_000, 'the probe')) as Ev<'probe-result'>;
      assert.deepEqual({ type: result.type, received: result.received, lost: result.lost, corrupted: result.corrupted }, { type: 'probe-result', received: 1500, lost: 0, corrupted: 0 });
      const rekeysDuringProbe = count('child-rekeyed');
      assert.ok(rekeysDuringProbe >= 1, 'the CHILD SA was rekeyed while the datagrams flowed');
      await device.waitFor(() => count('ike-rekeyed') >= 1 && count('child-rekeyed') >= 2, 40_000, 'rekeys of the IKE SA and (twice) the CHILD SA');
      const teardowns = device.events.filter((e) => e.type === 'child-down' || e.type === 'ike-down' || e.type === 'ike-error');
      assert.deepEqual(teardowns, [], 'no SA was torn down to renew it');
      assert.equal(count('child-up'), 1, 'the tunnel came up once and stayed up');

      // The gateway ends with exactly the newest IKE SA and CHILD SA (the replaced ones deleted).
      // Rekeys go on every few seconds, so compare with the device's newest SAs at the moment of listing.
      let seen = '';
      const deadline = Date.now() + 10_000;
      for (;;) {
        const before = device.events.length;
        const sas = ikeSas(await lab.gateway.listSas());
        const ike = [...device.events].reverse().find((e) => e.type === 'ike-rekeyed') as Ev<'ike-rekeyed'>;
        const esp = [...device.events].reverse().find((e) => e.type === 'child-rekeyed') as Ev<'child-rekeyed'>;
        const children = sas.length === 1 ? Object.values((sas[0]!.sa['child-sas'] as ViciSection | undefined) ?? {}) as ViciSection[] : [];
        seen = JSON.stringify(sas.map((s) => ({ i: s.sa['initiator-spi'], r: s.sa['responder-spi'], children: children.map((c) => [c['spi-in'], c['spi-out'], c['state']]) })));
        // strongSwan keeps a deleted CHILD SA listed as DELETED for a few seconds (delete_rekeyed_delay).
        const live = children.filter((c) => c['state'] !== 'DELETED');
        const matches =
          sas.length === 1 && sas[0]!.sa['initiator-spi'] === ike.spiI && sas[0]!.sa['responder-spi'] === ike.spiR &&
          live.length === 1 && live[0]!['state'] === 'INSTALLED' && live[0]!['spi-in'] === hex8(esp.espSpiOut) && live[0]!['spi-out'] === hex8(esp.espSpiIn);
        if (matches && device.events.length === before) break;
        assert.ok(Date.now() < deadline, `the gateway should list only the device's newest SAs (IKE ${ike.spiI}/${ike.spiR}, ESP in ${hex8(esp.espSpiIn)} out ${hex8(esp.espSpiOut)}): ${seen}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      if (driver.gateway.childRekeyTime) {
        assert.ok(device.events.some((e) => e.type === 'child-rekeyed' && e.by === 'gateway'), 'the device answered the gateway\'s CHILD SA rekeys');
        // The gateway's IKE SA rekey is answered TEMPORARY_FAILURE and the device rekeys it at once.
        assert.match(lab.gateway.log(), /IKE_SA rekeying failed, trying again/, 'the gateway asked to rekey the IKE SA first');
      }
      if (driver.config.espProposals) {
        assert.match(lab.gateway.log(), /CREATE_CHILD_SA (request|response) \d+ \[ (N\(REKEY_SA\) )?SA No KE TSi TSr \]/, 'CHILD SA rekeys carried a key exchange (PFS)');
      }
      assert.equal(device.unexpectedErrors(), 0);
      await device.stop();
      assert.equal(ikeSas(await lab.gateway.listSas()).length, 0, 'the rekeyed IKE SA was deleted on stop');
    }, 300_000);
  }

  // Both ends rekey the same SA at once: the device's uplink is held across its own rekey, so its
  // CREATE_CHILD_SA waits while the gateway (swanctl --rekey) starts one; then both cross.
  const collisions = [
    { sa: 'CHILD', config: { childLifetime: 12, ikeLifetime: 3600 }, swanctl: ['--child', 'net'], outcome: 'one replacement survives at both ends (lowest nonce, RFC 7296 2.8.1)' },
    { sa: 'IKE', config: { childLifetime: 3600, ikeLifetime: 12 }, swanctl: ['--ike', 'device'], outcome: "the gateway's is refused (TEMPORARY_FAILURE) and the device's completes" },
  ] as const;
  for (const c of collisions) {
    labTest(`tunnel [${host.name}]: both ends rekey the ${c.sa} SA at once: ${c.outcome}, no datagram lost`, async (t) => {
      const lifetime = c.sa === 'CHILD' ? c.config.childLifetime : c.config.ikeLifetime;
      const { lab, device } = await bringUp(t, host, {}, { ...c.config, probeTarget: '198.51.100.10:7', probeCount: 900 });
      const up = (await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel')) as Ev<'child-up'>;
      const upAt = Date.now();
      await new Promise((r) => setTimeout(r, (lifetime - 1) * 1000 - (Date.now() - upAt)));
      const release = lab.modem!.holdUplink();
      await new Promise((r) => setTimeout(r, 1500));
      await lab.gateway.swanctlCmd('--rekey', ...c.swanctl);
      await new Promise((r) => setTimeout(r, 700));
      release();
      const result = (await device.waitFor((e) => e.type === 'probe-result' || e.type === 'probe-error', 180_000, 'the probe')) as Ev<'probe-result'>;
      assert.deepEqual({ type: result.type, received: result.received, lost: result.lost, corrupted: result.corrupted }, { type: 'probe-result', received: 900, lost: 0, corrupted: 0 });
      assert.deepEqual(device.events.filter((e) => e.type === 'child-down' || e.type === 'ike-down'), [], 'nothing was torn down');
      if (c.sa === 'CHILD') {
        assert.match(lab.gateway.log(), /CHILD_REKEY collision/, 'the gateway saw the two rekeys cross');
        const first = device.events.find((e) => e.type === 'child-rekeyed') as Ev<'child-rekeyed'> | undefined;
        assert.ok(first && first.previousSpiIn === up.espSpiIn, 'the first CHILD SA was replaced');
      } else {
        assert.match(lab.gateway.log(), /IKE_REKEY collision/, 'the gateway saw the two rekeys cross');
        assert.match(lab.gateway.log(), /TEMPORARY_FAILURE/, "the device refused the gateway's, so the gateway kept the device's");
        assert.ok(device.events.some((e) => e.type === 'ike-rekeyed'), 'the device rekeyed the IKE SA');
      }
      // The gateway ends with the device's current SAs only (the device may have rekeyed again since).
      let seen = '';
      for (const deadline = Date.now() + 10_000; ; ) {
        const newest = <T extends 'child-rekeyed' | 'ike-rekeyed'>(type: T) => [...device.events].reverse().find((e) => e.type === type) as Ev<T> | undefined;
        const before = device.events.length;
        const esp = newest('child-rekeyed');
        const ike = newest('ike-rekeyed');
        const sas = ikeSas(await lab.gateway.listSas());
        const children = Object.values((sas[0]?.sa['child-sas'] as ViciSection | undefined) ?? {}) as ViciSection[];
        const live = children.filter((x) => x['state'] !== 'DELETED');
        seen = JSON.stringify(sas.map((x) => [x.sa['initiator-spi'], x.sa['responder-spi'], children.map((y) => [y['spi-in'], y['spi-out'], y['state']])]));
        const spiIn = esp?.espSpiIn ?? up.espSpiIn;
        const spiOut = esp?.espSpiOut ?? up.espSpiOut;
        const settled =
          sas.length === 1 && (!ike || (sas[0]!.sa['initiator-spi'] === ike.spiI && sas[0]!.sa['responder-spi'] === ike.spiR)) &&
          live.length === 1 && live[0]!['spi-in'] === hex8(spiOut) && live[0]!['spi-out'] === hex8(spiIn);
        if (settled && device.events.length === before) break;
        assert.ok(Date.now() < deadline, `the gateway should keep only the device's current SAs (ESP in ${hex8(spiIn)} out ${hex8(spiOut)}${ike ? `, IKE ${ike.spiI}/${ike.spiR}` : ''}): ${seen}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.equal(device.unexpectedErrors(), 0);
      await device.stop();
    }, 300_000);
  }

  labTest(`tunnel [${host.name}]: 1400-byte datagrams cross the tunnel whole (PPP MRU 1500, ESP in UDP)`, async (t) => {
    const { device } = await bringUp(t, host, {}, { probeTarget: '198.51.100.10:7', probeCount: 30, probeSize: 1400 });
    const result = (await device.waitFor((e) => e.type === 'probe-result' || e.type === 'probe-error', 60_000, 'the probe')) as Ev<'probe-result'>;
    assert.deepEqual({ received: result.received, lost: result.lost, corrupted: result.corrupted }, { received: 30, lost: 0, corrupted: 0 });
    await device.stop();
  });

  labTest(`tunnel [${host.name}]: INVALID_KE_PAYLOAD makes the device retry with the group the gateway names`, async (t) => {
    const { device } = await bringUp(
      t,
      host,
      { ikeProposals: ['aes128gcm16-prfsha256-ecp256'] },
      { ikeProposals: ['aes128gcm16-prfsha256-x25519-ecp256'], probeTarget: '198.51.100.10:7', probeCount: 5 },
    );
    const up = (await device.waitFor((e) => e.type === 'ike-up', 60_000, 'the IKE SA')) as Ev<'ike-up'>;
    assert.match(up.suite, /ecp256/);
    await device.waitFor((e) => e.type === 'probe-result', 30_000, 'the probe');
    await device.stop();
  });
}
