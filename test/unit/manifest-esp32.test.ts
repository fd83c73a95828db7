/**
 * Manifests: the shipped ones load, build:esp32 produces a folder mcconfig can take
 * (checked against Moddable's manifest format, since neither the SDK nor ESP-IDF is here),
 * and bad manifests are refused naming the field, never echoing the PSK.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildEsp32, buildIkelet } from '../../scripts/build-esp32.ts';
import { ownConfig } from '../../src/config/validate.ts';
import { MANIFEST_KEYS, checkManifestShape, loadManifest } from '../../scripts/manifest.ts';

const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-esp32-'));
const tmpManifest = (manifest: object): string => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-manifest-')), 'manifest.json');
  fs.writeFileSync(file, JSON.stringify(manifest));
  return file;
};
const esp32Template = JSON.parse(fs.readFileSync('manifests/esp32/manifest.json', 'utf8'));

test('the lab manifest gives the lab settings', () => {
  const { config } = loadManifest('manifests/lab/manifest.json');
  assert.equal(config.gateway, '10.0.2.2');
  assert.equal(config.localId, 'device1.example.com');
  assert.equal(config.remoteId, 'gateway.example.net');
  assert.equal(config.psk, 'lab-psk-not-secret-0123456789');
});

test('the esp32 manifest names every setting explicitly', () => {
  const { config } = loadManifest('manifests/esp32/manifest.json', { platform: 'esp32' });
  assert.deepEqual(Object.keys(esp32Template.config).sort(), Object.keys(config).sort());
});

test('build:esp32 refuses to build a device with the template placeholder PSK, without printing it', async () => {
  await assert.rejects(buildEsp32('manifests/esp32/manifest.json', OUT), (e: Error) => {
    assert.match(e.message, /config\.psk: still the placeholder/);
    assert.ok(!e.message.includes(esp32Template.config.psk), 'the PSK is not printed');
    return true;
  });
});

test('build:esp32 output matches the Moddable manifest format: a project that includes ikelet\'s part', async () => {
  await buildEsp32(tmpManifest({ config: { psk: 'this-deployments-own-secret-42' } }), OUT);
  const file = path.join(OUT, 'manifest.json');
  assert.deepEqual(checkManifestShape(file, { requirePlatforms: ['esp32'], followIncludes: true }), []);
  const m = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const key of Object.keys(m)) assert.ok((MANIFEST_KEYS as readonly string[]).includes(key), key);
  assert.ok('esp32' in m.platforms);
  assert.ok(m.include.includes('./ikelet/manifest.json'), 'the project includes the part');
  assert.deepEqual(m.creation, esp32Template.creation, 'ikelet\'s own project keeps the measured creation');
  const part = JSON.parse(fs.readFileSync(path.join(OUT, 'ikelet/manifest.json'), 'utf8'));
  assert.equal(part.modules['setup/ikelet'], './setup', 'the agent starts in a setup module');
  for (const f of ['main.js', 'ikelet/ikelet.js', 'ikelet/setup.js', 'ikelet/uart/uart.c', 'ikelet/uart/uart.js', 'ikelet/uart/manifest.json', 'ikelet/random/random.c', 'ikelet/random/random.js', 'ikelet/random/manifest.json']) assert.ok(fs.existsSync(path.join(OUT, f)), f);
  assert.ok(part.include.includes('./uart/manifest.json') && part.include.includes('./random/manifest.json'));
  // setup.js leaves Moddable modules to mcconfig and never touches Node.
  const setup = fs.readFileSync(path.join(OUT, 'ikelet/setup.js'), 'utf8');
  for (const spec of ['mc/config', 'timer', 'time', 'ikelet/uart', 'ikelet/random', 'ikelet']) assert.ok(setup.includes(`from "${spec}"`), spec);
  assert.match(setup, /export \{[^}]*default/, 'a default export Moddable calls before main');
  assert.doesNotMatch(setup, /node:|require\(/);
});

test('a user manifest overrides the template config; its errors name the field', async () => {
  const user = tmpManifest({ config: { gateway: '198.51.100.20', uartBaud: 230400, psk: 'this-deployments-own-secret-42' } });
  await buildEsp32(user, OUT);
  const m = JSON.parse(fs.readFileSync(path.join(OUT, 'ikelet/manifest.json'), 'utf8'));
  assert.equal(m.config.gateway, '198.51.100.20');
  assert.equal(m.config.uartBaud, 230400);
  assert.equal(m.config.localId, esp32Template.config.localId);
  await assert.rejects(buildEsp32(tmpManifest({ config: { uartBaud: 'fast', psk: 'this-deployments-own-secret-42' } }), OUT), /config\.uartBaud: expected one of 9600\.\.921600/);
});

test('build:ikelet takes a user project\'s manifest: the app\'s own keys pass, a misspelt ikelet key is named, the part leaves room for the app', async () => {
  const project = tmpManifest({ include: ['$(IKELET)/manifests/ikelet/manifest.json'], config: { psk: 'this-deployments-own-secret-42', telemetryInterval: 10, sensorPin: 4 } });
  const { warnings, config } = await buildIkelet(project, OUT);
  assert.ok(warnings.some((w) => w.includes('telemetryInterval, sensorPin passed over')), warnings.join('; '));
  assert.ok(!('telemetryInterval' in config));
  // The boot passes those keys over without a near-miss search (an edit distance to every key costs ~0.5 M computrons a key in XS).
  assert.match(fs.readFileSync(path.join(OUT, 'setup.js'), 'utf8'), /\["format", "rotation", "telemetryInterval", "sensorPin"\]/);
  const part = JSON.parse(fs.readFileSync(path.join(OUT, 'manifest.json'), 'utf8'));
  assert.ok(part.creation.chunk.incremental > 0 && part.creation.heap.incremental > 0, 'the heaps may grow for the app');
  assert.ok(part.creation.stack >= esp32Template.creation.stack);
  await assert.rejects(buildIkelet(tmpManifest({ config: { psk: 'this-deployments-own-secret-42', mqttHots: 'broker.example' } }), OUT), /config\.mqttHots: unknown setting \(did you mean mqttHost\?\)/);
  assert.deepEqual(ownConfig({ gateway: '203.0.113.10', format: 'rgb565le', mqttHots: 'x' }), { config: { gateway: '203.0.113.10', mqttHots: 'x' }, foreign: ['format'] });
});

test('bad manifests are refused, naming the field, without the PSK', () => {
  const psk = 'do-not-print-this-psk-0001';
  const cases: [object, RegExp][] = [
    [{ mru: "1500" }, /config\.mru: expected an integer 576\.\.1500 .*\(got "1500"\)/],
    [{ gateway: '10.0.2' }, /config\.gateway: expected an IPv4 literal/],
    [{ ikeProposals: ['aes128gcm16-prfsha256-curve448'] }, /config\.ikeProposals\[0\]: .*unknown algorithm 'curve448'/],
    [{ uartBaud: 12345 }, /config\.uartBaud: expected one of 9600\.\.921600/],
    [{ psk: 42 }, /config\.psk: expected a pre-shared key string of 20\.\.256 bytes in UTF-8 .*\(got a number\)/],
  ];
  for (const [bad, pattern] of cases) {
    const file = tmpManifest({ ...esp32Template, config: { ...esp32Template.config, psk, ...bad } });
    assert.throws(() => loadManifest(file, { platform: 'esp32' }), (e: Error) => pattern.test(e.message) && !e.message.includes(psk), JSON.stringify(bad));
  }
});

test('shape errors: unknown top-level keys, missing module files, undeclared preloads, no esp32', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-shape-'));
  const file = path.join(dir, 'manifest.json');
  fs.writeFileSync(file, JSON.stringify({ modulez: {}, modules: { '*': ['./missing'] }, preload: ['nothing'], platforms: { lin: {} } }));
  const errors = checkManifestShape(file, { requirePlatforms: ['esp32'], followIncludes: true }).join('\n');
  assert.match(errors, /modulez: not a Moddable manifest property/);
  assert.match(errors, /modules\.\*: no file for \.\/missing/);
  assert.match(errors, /preload: nothing is not a module of this manifest/);
  assert.match(errors, /platforms: no entry for esp32/);
});

test('platform config overrides apply for that platform only', () => {
  const file = tmpManifest({ ...esp32Template, platforms: { esp32: { config: { logLevel: 'debug' } } } });
  assert.equal(loadManifest(file, { platform: 'esp32' }).config.logLevel, 'debug');
  assert.equal(loadManifest(file).config.logLevel, 'info');
});
