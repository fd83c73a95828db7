import '@endo/init';
import { bundleForXs } from './hosts/xs/bundle.ts';
import { XsScript } from './hosts/xs/script.ts';
import fs from 'node:fs';
const cfg = JSON.parse(fs.readFileSync('manifests/esp32/manifest.json', 'utf8')).config;
const code = await bundleForXs({ contents: `
import { ownConfig, checkConfig } from './src/config/validate.ts';
import { cryptoSelfTest } from './src/crypto/self-test.ts';
import { CATALOG } from './src/crypto/catalog.ts';
const cfg = ${JSON.stringify({ ...cfg, psk: 'x'.repeat(40) })};
globalThis.own = () => ownConfig({ ...cfg, format: 'rgb565le', rotation: 0 }).foreign.length;
globalThis.check = () => checkConfig(cfg).ok;
globalThis.selftest = () => String(cryptoSelfTest(CATALOG));
` });
const s = await XsScript.load(code);
for (const e of ['own()', 'own()', 'check()', 'check()', 'selftest()', 'selftest()']) { const r = await s.call(e); console.log(e, r.compute, r.value); }
process.exit(0);
