/**
 * Builds every toolchain piece the tests use, before any test starts (scripts/setup.sh runs it), so
 * no test spends its own timeout on a build: the Moddable SDK's host tools (mcconfig, xsc, xsid, xsl)
 * and XS compiled 32-bit for hosts/xs-device. Both are cached; a second run takes a second.
 */
import { findModdableSdk } from './moddable-sdk.ts';
import { xsObjects } from './xs-device.ts';

const started = Date.now();
const found = findModdableSdk();
if (!found.ok) {
  console.error(`setup: the Moddable SDK's host tools could not be built: ${found.reason}`);
  process.exit(1);
}
await xsObjects(found.sdk);
console.log(`setup: Moddable host tools and the twin's XS objects ready (${found.sdk.root}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
