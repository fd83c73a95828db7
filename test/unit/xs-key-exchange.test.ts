/**
 * The device's key exchange in a real XS engine: public keys and shared secrets equal Node's,
 * and making the first key builds no lasting table. noble's fixed-base getPublicKey caches a
 * base-point table on first use — 110 KiB (x25519) / 88 KiB (P-256) of heap kept on the device
 * and one long turn — which src/crypto/dh.ts avoids with noble's table-free paths.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import { bundleForXs } from '../../hosts/xs/bundle.ts';
import { XsScript } from '../../hosts/xs/script.ts';

const SK_DEVICE = 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4';
const SK_PEER = 'c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53';

const SOURCE = `import { CURVE25519, ECP256 } from './src/crypto/algorithms/index.ts';
import { fromHex, toHex } from './src/util/bytes.ts';
const groups = { x25519: CURVE25519, ecp256: ECP256 };
globalThis.keyExchange = (name, sk, peerPublic) => {
  const pair = groups[name].fromPrivate(fromHex(sk));
  const shared = pair.computeShared(fromHex(peerPublic));
  return { publicKey: toHex(pair.publicKey), shared: shared && toHex(shared) };
};
`;

/** Node's view of a key pair: KE payload data as IKE carries it. */
function nodeKeyPair(group: 'x25519' | 'ecp256', skHex: string): { publicKey: string; shared(peer: string): string } {
  if (group === 'x25519') {
    const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(skHex, 'hex')]);
    const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    return {
      publicKey: crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'),
      shared: (peer) => {
        const spki = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), Buffer.from(peer, 'hex')]);
        return crypto.diffieHellman({ privateKey, publicKey: crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' }) }).toString('hex');
      },
    };
  }
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(skHex, 'hex'));
  return {
    publicKey: ecdh.getPublicKey().subarray(1).toString('hex'),
    shared: (peer) => ecdh.computeSecret(Buffer.concat([Buffer.from([4]), Buffer.from(peer, 'hex')])).toString('hex'),
  };
}

let xs: XsScript;
before(async () => {
  xs = await XsScript.load(await bundleForXs({ contents: SOURCE }));
});
after(() => xs.close());

for (const group of ['x25519', 'ecp256'] as const) {
  test(`${group} in XS: KE data and shared secret equal Node's; the first key leaves no table behind`, async () => {
    const device = nodeKeyPair(group, SK_DEVICE);
    const peer = nodeKeyPair(group, SK_PEER);
    const call = `keyExchange(${JSON.stringify(group)}, ${JSON.stringify(SK_DEVICE)}, ${JSON.stringify(peer.publicKey)})`;

    const before = await xs.liveSlots();
    const first = await xs.call<{ publicKey: string; shared: string }>(call);
    const retained = (await xs.liveSlots()) - before;
    const second = await xs.call<{ publicKey: string; shared: string }>(call);

    assert.deepEqual(first.value, { publicKey: device.publicKey, shared: device.shared(peer.publicKey) });
    // A cached base table is thousands of slots (7,054 / 5,653 measured); a few stay for result strings.
    assert.ok(retained < 100, `the first ${group} key kept ${retained} heap slots alive`);
    // With a table build the first call costs 10× a later one; without, both cost the same.
    assert.deepEqual(second.value, first.value);
    assert.ok(first.compute < 1.2 * second.compute, `first ${group} key ${first.compute} computrons vs ${second.compute} later`);
  });
}
