/**
 * The device configuration for lab tests: the lab manifest's `config` (the same file the
 * demo and `ikelet-sim` use), with per-test overrides.
 */
import type { ManifestConfig } from '../../src/config/validate.ts';
import { configFromManifest } from '../../scripts/manifest.ts';

export const LAB_MANIFEST = 'manifests/lab/manifest.json';

export function labDeviceConfig(overrides: Partial<ManifestConfig> = {}): ManifestConfig {
  return {
    ...configFromManifest(LAB_MANIFEST, { platform: 'sim' }),
    logLevel: process.env.IKELET_LOG === 'debug' ? 'debug' : 'info',
    ...overrides,
  };
}
