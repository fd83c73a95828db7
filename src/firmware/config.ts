/** The firmware fetcher's config section: the server, the manifest, and how hard to pull. */
import { hostOrOff, intIn, urlPath } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';
import type { FirmwareSettings } from './fetcher.ts';

export interface FirmwareRaw {
  firmwareHost: string; // '' = no updates
  firmwarePort: number;
  firmwareManifest: string; // path on the server
  firmwareVersion: string; // the version this build runs
  firmwareRange: number; // bytes per Range request
  firmwareTurnBytes: number; // bytes read, hashed and written per turn
  firmwareMaxImage: number; // bytes
  firmwareCheckInterval: number; // s
  firmwareRetryMin: number; // s
  firmwareRetryMax: number; // s
  firmwareTimeout: number; // s
}

export interface FirmwareConfig extends FirmwareSettings {
  enabled: boolean;
}

export const firmwareSection: ConfigSection<FirmwareRaw, FirmwareConfig> = {
  defaults: {
    firmwareHost: '',
    firmwarePort: 80,
    firmwareManifest: '/firmware/manifest.json',
    firmwareVersion: '0.0.0',
    firmwareRange: 65536,
    firmwareTurnBytes: 2048, // SHA-256 of 2 KiB ≈ 1 M XS computrons, about one 1400-byte ESP open
    firmwareMaxImage: 4 << 20,
    firmwareCheckInterval: 86400,
    firmwareRetryMin: 5,
    firmwareRetryMax: 600,
    firmwareTimeout: 30,
  },
  checks: {
    firmwareHost: hostOrOff,
    firmwarePort: (v) => intIn(v, 1, 65535),
    firmwareManifest: urlPath,
    firmwareVersion: (v: unknown) => (typeof v === 'string' && /^[0-9A-Za-z.+-]{1,32}$/.test(v) ? undefined : "a version such as '1.2.0'"),
    firmwareRange: (v) => intIn(v, 1024, 1 << 24, ' bytes'),
    firmwareTurnBytes: (v) => intIn(v, 256, 65536, ' bytes'),
    firmwareMaxImage: (v) => intIn(v, 1024, 1 << 26, ' bytes'),
    firmwareCheckInterval: (v) => intIn(v, 60, 30 * 86400, ' seconds'),
    firmwareRetryMin: (v) => intIn(v, 1, 3600, ' seconds'),
    firmwareRetryMax: (v) => intIn(v, 1, 86400, ' seconds'),
    firmwareTimeout: (v) => intIn(v, 5, 600, ' seconds'),
  },
  cross(raw, issues) {
    if (raw.firmwareRetryMax < raw.firmwareRetryMin) issues.error('config.firmwareRetryMax: expected at least firmwareRetryMin');
  },
  parse(raw) {
    return {
      enabled: raw.firmwareHost !== '',
      host: raw.firmwareHost,
      port: raw.firmwarePort,
      manifestPath: raw.firmwareManifest,
      currentVersion: raw.firmwareVersion,
      rangeBytes: raw.firmwareRange,
      turnBytes: raw.firmwareTurnBytes,
      maxImageBytes: raw.firmwareMaxImage,
      maxManifestBytes: 1024,
      checkIntervalMs: raw.firmwareCheckInterval * 1000,
      retryMinMs: raw.firmwareRetryMin * 1000,
      retryMaxMs: raw.firmwareRetryMax * 1000,
      timeoutMs: raw.firmwareTimeout * 1000,
    };
  },
};
