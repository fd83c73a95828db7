/** The MQTT client and the firmware fetcher run inside XS (the device's engine) as in Node. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { bundleForXs } from '../../hosts/xs/bundle.ts';
import { XsScript } from '../../hosts/xs/script.ts';
import { signManifest } from '../../scripts/firmware-signer.ts';

const loaded = bundleForXs({ entry: 'hosts/xs/fixtures/apps-smoke.ts' }).then((code) => XsScript.load(code));
after(async () => (await loaded).close());

test('XS: MQTT QoS 1 across a broken connection, every message acknowledged once, a command received', async () => {
  const { value } = await (await loaded).call<{ acknowledged: number; distinct: number; connections: number; received: string[] }>('apps.mqtt(50)');
  assert.deepEqual(value, { acknowledged: 100, distinct: 100, connections: 2, received: ['down=cmd'] });
});

test('XS: firmware in 16 KiB ranges, broken at half and resumed, byte-exact; a flipped byte is rejected', async () => {
  const script = await loaded;
  const good = await script.call<{ state: string; completed: boolean; exact: boolean; resumes: number; longestTurnBytes: number }>('apps.firmware(49152, -1, 4096)');
  const { longestTurnBytes, ...rest } = good.value;
  assert.deepEqual(rest, { state: 'installed', completed: true, exact: true, resumes: 1, rejected: false });
  assert.ok(longestTurnBytes > 0 && longestTurnBytes <= 4096, `${longestTurnBytes} bytes in the longest turn`);
  const bad = await script.call<{ completed: boolean; rejected: boolean }>('apps.firmware(20000, 4321, 4096)');
  assert.equal(bad.value.completed, false);
  assert.equal(bad.value.rejected, true);
  await script.call('apps.prepare(0)');
  const nothing = await script.call<number>('apps.hashTurn()');
  await script.call('apps.prepare(4096)');
  const turn = await script.call<number>('apps.hashTurn()');
  console.log(`XS: SHA-256 over one 4096-byte download turn ≈ ${((turn.compute - nothing.compute) / 1e6).toFixed(2)} M computrons`);
});

test('XS: the manifest signature check (Ed25519, noble) accepts the signed fields and refuses a flipped bit', async () => {
  const script = await loaded;
  const m = signManifest({ version: '2.1.0', path: '/i.bin', image: new Uint8Array(64) }, '33'.repeat(32));
  const flipped = { ...m, signature: `${m.signature[0] === '0' ? '1' : '0'}${m.signature.slice(1)}` };
  const decode = await script.call(`apps.verify(${JSON.stringify(m)}, false)`);
  const first = await script.call<boolean>(`apps.verify(${JSON.stringify(m)})`);
  const again = await script.call<boolean>(`apps.verify(${JSON.stringify(m)})`);
  const bad = await script.call<boolean>(`apps.verify(${JSON.stringify(flipped)})`);
  assert.equal(first.value, true);
  assert.equal(again.value, true);
  assert.equal(bad.value, false);
  const mc = (c: { compute: number }) => ((c.compute - decode.compute) / 1e6).toFixed(1);
  console.log(`XS: one Ed25519 manifest verify ≈ ${mc(again)} M computrons (a turn of its own, once per new manifest)`);
});
