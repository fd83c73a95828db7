/**
 * RFC 7383 against strongSwan (fragmentation = yes, its default): an IKE_AUTH made bigger than the
 * link takes whole (a 1.3 KB identity, over the 1,248 bytes a 1500-byte PPP link gives IKE after
 * IPv4, UDP and the NAT-T marker, capped at 1280) goes as fragments; the gateway reassembles them.
 */
import assert from 'node:assert/strict';
import { labTest, startLab } from '../lab/harness.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { ikeSas } from '../lab/vici-text.ts';
import { nodeHost, xsHost } from './device-hosts.ts';

for (const host of [nodeHost, xsHost]) {
  labTest(`fragmentation [${host.name}]: an IKE_AUTH over the link MTU goes as RFC 7383 fragments and strongSwan reassembles it; its fragmented response is reassembled by the device`, async (t) => {
    const longId = `${'d'.repeat(1300)}@device.example.com`;
    // The gateway takes any device identity: strongSwan does not match one this long to its config.
    // It fragments its own messages at 200 bytes, so its IKE_AUTH response comes as fragments too.
    const lab = await startLab(t, { gateway: { remoteId: '%any', fragmentSize: 200 }, modem: { registrationDelayMs: 100 } });
    const device = await host.make({ config: labDeviceConfig({ localId: longId }), serialPath: lab.serialPath });
    t.after(() => device.close());
    await device.start();
    await device.waitFor((e) => e.type === 'child-up', 30_000, 'the tunnel');
    const log = lab.gateway.log();
    const received = log.match(/received fragment #\d+ of (\d+)/);
    assert.ok(received, 'the gateway received fragments');
    assert.ok(Number(received[1]) >= 2, `${received[1]} fragments`);
    assert.match(log, /reassembled fragmented IKE message/);
    const sent = log.match(/generating IKE_AUTH response 1 \[ EF\(1\/(\d+)\)/);
    assert.ok(sent, 'the gateway answered IKE_AUTH in fragments');
    assert.ok(Number(sent[1]) >= 2, `${sent[1]} fragments`);
    const sas = ikeSas(await lab.gateway.listSas());
    assert.equal(sas.length, 1);
    assert.equal(sas[0]!.sa['state'], 'ESTABLISHED');
    assert.equal(device.unexpectedErrors(), 0);
    await device.stop();
  });
}
