/**
 * The device bundle carries only the algorithms its manifest configures: a build for
 * x25519 + AES-GCM + HMAC-SHA-256 has no P-256, ChaCha20-Poly1305, AES-CBC or SHA-512 code
 * (the same build with every algorithm has them, so the checks can see them).
 * test/e2e/device-budget.test.ts runs such a bundle through a tunnel in XS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDevice, deviceBundleInputs } from '../../scripts/build-lib.ts';
import { catalogSource, configuredAlgorithms } from '../../scripts/device-modules.ts';

/**
 * A device config with no app clients (as build:esp32 passes it, `clients` included): the firmware
 * fetcher, when configured, brings SHA-512 with its Ed25519 signature check, whatever the proposals.
 */
export const GCM_X25519 = { ikeProposals: ['aes128gcm16-prfsha256-x25519'], espProposals: ['aes128gcm16'], clients: [] as ('mqtt' | 'http')[] };

/** What each unconfigured algorithm would bring: its descriptor module, noble's files, noble's function names. */
const FOREIGN: Record<string, { files: RegExp; code: RegExp }> = {
  'P-256': { files: /src\/crypto\/algorithms\/ecp256\.ts|@noble\/curves\/(nist|abstract\/weierstrass)\.js/, code: /\bp256\b|\bweierstrass\(/ },
  'ChaCha20-Poly1305': { files: /chacha20-poly1305\.ts|@noble\/ciphers\/(chacha|_arx|_poly1305)\.js/, code: /\bchacha20poly1305\b|\bpoly1305\b/ },
  'AES-CBC': { files: /src\/crypto\/algorithms\/aes-cbc\.ts/, code: /\baescbc\b|\bcbc\b/ },
  // Not after a '-': the default proposal strings (src/ike/config.ts) name sha384 as a word.
  'SHA-384/512 PRFs': { files: /src\/crypto\/algorithms\/hmac-sha512\.ts/, code: /(?<!-)\b(sha512|sha384)\b/ },
};

test('the proposals decide the catalog: each named algorithm once, with the PRF a non-AEAD proposal implies', async () => {
  assert.deepEqual(configuredAlgorithms(GCM_X25519).map((a) => a.name), ['aes128gcm16', 'prfsha256', 'x25519']);
  const cbc = configuredAlgorithms({ ikeProposals: ['aes256-sha256-ecp256'], espProposals: ['aes128-sha256-x25519', 'chacha20poly1305'] });
  assert.deepEqual(cbc.map((a) => a.name).sort(), ['aes128', 'aes256', 'chacha20poly1305', 'ecp256', 'prfsha256', 'sha256', 'x25519']);
  assert.match(await catalogSource(configuredAlgorithms(GCM_X25519)), /^import \{ AES128_GCM16 \} from '\.\/algorithms\/aes-gcm\.ts';$/m);
});

test('an x25519/AES-GCM device bundle has no P-256, ChaCha20-Poly1305, AES-CBC or SHA-512 code', async () => {
  const only = await buildDevice({ entry: 'src/index.ts', minify: true, configured: GCM_X25519 });
  const every = await buildDevice({ entry: 'src/index.ts', minify: true });
  const onlyFiles = [...(await deviceBundleInputs('src/index.ts', GCM_X25519)).keys()].join('\n');
  const everyFiles = [...(await deviceBundleInputs('src/index.ts')).keys()].join('\n');
  for (const [what, { files, code }] of Object.entries(FOREIGN)) {
    assert.match(everyFiles, files, `${what}: bundled when configured`);
    assert.match(every.readable, code, `${what}: its code is visible in a full bundle`);
    assert.doesNotMatch(onlyFiles, files, `${what}: not bundled when no proposal names it`);
    assert.doesNotMatch(only.readable, code, `${what}: no trace of its code`);
  }
  assert.match(only.readable, /\bgcm\b/);
  assert.match(only.readable, /\bx25519\b/);
  assert.ok(only.code.length < every.code.length - 30_000, `${only.code.length} B vs ${every.code.length} B with every algorithm`);
});

test('CHAP and its MD5 are bundled only for pppAuth chap; PAP only for pap', async () => {
  const bundle = async (pppAuth: 'none' | 'pap' | 'chap') => (await buildDevice({ entry: 'src/index.ts', configured: { ...GCM_X25519, pppAuth } })).readable;
  const none = await bundle('none');
  const pap = await bundle('pap');
  const chap = await bundle('chap');
  assert.doesNotMatch(none, /\bmd5\b|ChapResponder|PapClient/);
  assert.match(pap, /PapClient/);
  assert.doesNotMatch(pap, /\bmd5\b|ChapResponder/);
  assert.match(chap, /ChapResponder/);
  assert.match(chap, /\bmd5\b/);
});

test('a device bundle with crypto "native" has no noble code: every primitive comes from ikelet/crypto', async () => {
  const native = { ...GCM_X25519, espProposals: ['aes128gcm16', 'chacha20poly1305'], pppAuth: 'chap' as const, firmwareHost: 'fw.example', crypto: 'native' as const };
  const files = [...(await deviceBundleInputs('src/index.ts', native)).keys()].join('\n');
  const bundle = await buildDevice({ entry: 'src/index.ts', minify: true, configured: native });
  assert.doesNotMatch(files, /@noble/, 'no noble module');
  assert.match(files, /src\/crypto\/backend\.ts/, 'the backend module is bundled (with the native one\'s source)');
  assert.match(bundle.code, /from\s*"ikelet\/crypto"/, 'the Moddable module is imported, not bundled');
  const noble = await buildDevice({ entry: 'src/index.ts', minify: true, configured: { ...native, crypto: 'noble' } });
  assert.ok(bundle.code.length < noble.code.length - 30_000, `${bundle.code.length} B native vs ${noble.code.length} B noble`);
});

test('only the configured modem profile is bundled (modemProfile); without it, every one', async () => {
  const files = async (modemProfile?: string) => [...(await deviceBundleInputs('src/index.ts', { ...GCM_X25519, ...(modemProfile ? { modemProfile } : {}) })).keys()].join('\n');
  const bg96 = await files('bg96');
  assert.match(bg96, /src\/modem\/profiles\/bg96\.ts/);
  assert.doesNotMatch(bg96, /src\/modem\/profiles\/(generic|sim7600|sim7080|a7670|sara-r4)\.ts/);
  assert.match(await files(), /src\/modem\/profiles\/sara-r4\.ts/);
});
