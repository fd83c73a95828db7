/**
 * Builds every toolchain piece the tests use, before any test starts (scripts/setup.sh runs it), so
 * no test spends its own timeout on a build: the Moddable SDK's host tools (mcconfig, xsc, xsid, xsl)
 * and XS compiled 32-bit for hosts/xs-device (both cached; a second run takes a second), and checks
 * that the 32-bit libraries the twin links are there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findModdableSdk } from './moddable-sdk.ts';
import { xsObjects } from './xs-device.ts';

const started = Date.now();
const found = findModdableSdk();
if (!found.ok) {
  console.error(`setup: the Moddable SDK's host tools could not be built: ${found.reason}`);
  process.exit(1);
}
await xsObjects(found.sdk);
// The twin links the native modules' libraries (hosts/native/*/twin.json) 32-bit: setup.sh installs them.
const missing = ['libsodium.so', 'libmbedcrypto.so'].filter((l) => !fs.existsSync(path.join('/usr/lib/i386-linux-gnu', l)));
if (missing.length) {
  console.error(`setup: the twin's 32-bit libraries are missing (${missing.join(', ')}): install libsodium-dev:i386 libmbedtls-dev:i386 (scripts/setup.sh)`);
  process.exit(1);
}
console.log(`setup: Moddable host tools and the twin's XS objects ready (${found.sdk.root}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
