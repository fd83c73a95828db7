/** The firmware fetcher's config section: the server, the manifest, whose signatures count, and how hard to pull. */
import { hostOrOff, intIn, listOf, urlPath } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';
import type { FirmwareSettings } from './fetcher.ts';
import { parseSemVer } from './version.ts';

/** Enough for a key in use, its successor and one spare while a leaked key is rotated out. */
const MAX_KEYS = 4;

export interface FirmwareRaw {
  firmwareHost: string; // '' = no updates
  firmwarePort: number;
  firmwareManifest: string; // path on the server
  firmwareVersion: string; // the version this build runs (SemVer)
  firmwareKeys: string[]; // Ed25519 public keys (hex) whose manifest signatures are accepted
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
    firmwareKeys: [],
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
    firmwareVersion: (v: unknown) => (typeof v === 'string' && v.length <= 32 && parseSemVer(v) ? undefined : "a SemVer 2.0 version such as '1.2.0' or '1.3.0-rc.1' (at most 32 characters)"),
    firmwareKeys: (v, key) => {
      if (Array.isArray(v) && v.length === 0) return undefined;
      if (Array.isArray(v) && v.length > MAX_KEYS) return `at most ${MAX_KEYS} keys`;
      return listOf(v, key, 'Ed25519 public keys as 64 hex digits', (s) => (/^[0-9a-fA-F]{64}$/.test(s) ? undefined : 'expected an Ed25519 public key as 64 hex digits (npm run sign-firmware -- keygen)'));
    },
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
    // An update server without a key would install whatever that server (or the path to it) serves.
    if (raw.firmwareHost !== '' && raw.firmwareKeys.length === 0) issues.error('config.firmwareKeys: expected at least one Ed25519 public key when firmwareHost is set (npm run sign-firmware -- keygen)');
  },
  parse(raw) {
    return {
      enabled: raw.firmwareHost !== '',
      host: raw.firmwareHost,
      port: raw.firmwarePort,
      manifestPath: raw.firmwareManifest,
      currentVersion: raw.firmwareVersion,
      publicKeys: raw.firmwareKeys.map((k) => k.toLowerCase()),
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
