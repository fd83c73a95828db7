/** The lab's swanctl.conf writers: values strongSwan reads back as written, and a gateway localTs it can route. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLocalTs, DEFAULT_GATEWAY, swanctlConf, swanctlString } from '../lab/strongswan.ts';
import { initiatorSwanctlConf } from '../lab/swan-initiator.ts';
import { labDeviceConfig } from '../lab/device-config.ts';

const PSK = 'lab-psk with \\ a backslash and a " quote\\';

test('swanctl strings: backslash and double quote escaped (strongSwan drops a lone backslash), control characters refused', () => {
  assert.equal(swanctlString(PSK), '"lab-psk with \\\\ a backslash and a \\" quote\\\\"');
  assert.equal(swanctlString('plain'), '"plain"');
  assert.throws(() => swanctlString('line\nbreak'), /control character/);
  // Both writers use it.
  const gateway = { ...DEFAULT_GATEWAY, psk: PSK };
  const line = `    secret = ${swanctlString(PSK)}`;
  assert.ok(swanctlConf(gateway).split('\n').includes(line), 'the gateway');
  assert.ok(initiatorSwanctlConf({ gateway, remoteAddress: '10.0.2.2', device: labDeviceConfig() }).split('\n').includes(line), "strongSwan's initiator");
});

test('a gateway localTs entry without a gateway address is refused with the reason (kernel-libipsec: TS_UNACCEPTABLE)', () => {
  assert.doesNotThrow(() => checkLocalTs(['198.51.100.0/24'], ['198.51.100.1']));
  assert.doesNotThrow(() => checkLocalTs(['198.51.100.1/32', '198.51.100.0/25'], ['198.51.100.1']));
  assert.throws(() => checkLocalTs(['198.51.100.0/24', '203.0.113.0/24'], ['198.51.100.1']), /203\.0\.113\.0\/24 holds no address of the gateway.*TS_UNACCEPTABLE/);
  assert.throws(() => checkLocalTs(['198.51.100.128/25'], ['198.51.100.1']), /TS_UNACCEPTABLE/);
  assert.throws(() => checkLocalTs(['not-a-cidr'], ['198.51.100.1']), /expected an IPv4 CIDR/);
});
