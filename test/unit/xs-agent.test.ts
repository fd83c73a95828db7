/**
 * The real device bundle (src/index.ts -> startAgent) boots inside XS: it reads its config,
 * starts talking AT to the modem over the bridged serial, and stops cleanly.
 * (The end-to-end lab tests can run the same host against the modem emulator and slirp.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XsAgentHost, type XsFault } from '../../hosts/xs/agent-host.ts';
import { configFromManifest } from '../../scripts/manifest.ts';

test('the device bundle starts in XS and speaks AT to the modem', async () => {
  const written: string[] = [];
  const faults: XsFault[] = [];
  const host = new XsAgentHost({
    config: configFromManifest('manifests/lab/manifest.json', { platform: 'xs' }),
    serial: { write: (b) => void written.push(Buffer.from(b).toString('latin1')), onReceive: () => {} },
    log: () => {},
    report: () => {},
    onFault: (f) => faults.push(f),
  });
  await host.start();
  try {
    const end = Date.now() + 3000;
    while (written.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.match(written[0] ?? '', /^AT/i);
    assert.deepEqual(faults, []);
    assert.ok((host.meterUsage.longest?.compute ?? 0) > 0);
  } finally {
    await host.stop();
  }
});
