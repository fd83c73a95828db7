/**
 * The device target runs in a real XS engine (xsnap): noble primitives and src/util bundled
 * like the device bundle give the same results as Node's own crypto, and the ES2020 target
 * is what makes that work (ES2022 static class fields from noble break in this XS).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, test } from 'node:test';
import { bundleForXs } from '../../hosts/xs/bundle.ts';
import { XsScript } from '../../hosts/xs/script.ts';
import { inputs } from '../../hosts/xs/fixtures/crypto-smoke.ts';

const ENTRY = 'hosts/xs/fixtures/crypto-smoke.ts';
const hex = (h: string) => Buffer.from(h, 'hex');
// Loaded once for the file; each test awaits it.
const loaded = bundleForXs({ entry: ENTRY }).then((code) => XsScript.load(code));
after(async () => (await loaded).close());

test('x25519 in XS: public keys and shared secret equal Node crypto', async () => {
  const { value } = await (await loaded).call<{ pkA: string; pkB: string; sharedA: string; sharedB: string }>('smoke.x25519()');
  // PKCS#8 DER prefix for a raw X25519 private key.
  const priv = (sk: string) => crypto.createPrivateKey({ key: Buffer.concat([hex('302e020100300506032b656e04220420'), hex(sk)]), format: 'der', type: 'pkcs8' });
  const pub = (k: crypto.KeyObject) => crypto.createPublicKey(k).export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const a = priv(inputs.skA);
  const b = priv(inputs.skB);
  assert.equal(value.pkA, pub(a));
  assert.equal(value.pkB, pub(b));
  const shared = crypto.diffieHellman({ privateKey: a, publicKey: crypto.createPublicKey(b) }).toString('hex');
  assert.equal(value.sharedA, shared);
  assert.equal(value.sharedB, shared);
});

test('AES-128-GCM in XS equals Node crypto', async () => {
  const { value } = await (await loaded).call<string>('smoke.aes128gcm()');
  const c = crypto.createCipheriv('aes-128-gcm', hex(inputs.key16), hex(inputs.nonce12));
  c.setAAD(hex(inputs.aad));
  const expected = Buffer.concat([c.update(hex(inputs.plaintext)), c.final(), c.getAuthTag()]).toString('hex');
  assert.equal(value, expected);
});

test('ChaCha20-Poly1305 in XS equals Node crypto', async () => {
  const { value } = await (await loaded).call<string>('smoke.chacha20poly1305()');
  const c = crypto.createCipheriv('chacha20-poly1305', hex(inputs.key32), hex(inputs.nonce12), { authTagLength: 16 });
  c.setAAD(hex(inputs.aad), { plaintextLength: inputs.plaintext.length / 2 });
  const expected = Buffer.concat([c.update(hex(inputs.plaintext)), c.final(), c.getAuthTag()]).toString('hex');
  assert.equal(value, expected);
});

test('HMAC-SHA256 in XS equals Node crypto', async () => {
  const { value } = await (await loaded).call<string>('smoke.hmacSha256()');
  assert.equal(value, crypto.createHmac('sha256', hex(inputs.hmacKey)).update(hex(inputs.plaintext)).digest('hex'));
});

test('src/util byte helpers behave the same in XS', async () => {
  const { value } = await (await loaded).call<{ concat: string; u32: number; utf8: string }>('smoke.util()');
  assert.deepEqual(value, { concat: '696bff', u32: 0xdeadbeef, utf8: Buffer.from('é€').toString('hex') });
});

test('the target matters: the same bundle at es2022 fails in this XS, es2020 loads', async () => {
  // Measured with @agoric/xsnap 0.15.0: noble's static class fields, emitted natively at
  // es2022, throw "ReferenceError: Point: get ?: not initialized yet" while loading.
  await assert.rejects(XsScript.load(await bundleForXs({ entry: ENTRY, target: 'es2022' })), /ReferenceError: .*not initialized yet/);
  const ok = await XsScript.load(await bundleForXs({ entry: ENTRY, target: 'es2020' }));
  await ok.close();
});
