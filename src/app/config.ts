/** The connectivity probe's share of the manifest config (a boot self-check through the tunnel). */
import { intIn } from '../config/checks.ts';
import { ownKeys, type ConfigSection } from '../config/section.ts';
import type { ProbeConfig } from './probe.ts';

export const probeSection: ConfigSection<ProbeConfig, ProbeConfig> = {
  defaults: { probeTarget: '', probeCount: 0, probeSize: 0 },
  checks: {
    probeTarget: (v) => (typeof v === 'string' && (v === '' || /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/.test(v)) ? undefined : "'' (off) or host:port of a UDP echo service, like 'echo.lab.example:7'"),
    probeCount: (v) => intIn(v, 0, 100000, ' datagrams, 0 = off'),
    probeSize: (v) => (v === 0 || (Number.isInteger(v) && (v as number) >= 8 && (v as number) <= 1400) ? undefined : 'payload bytes 8..1400, or 0 for varied sizes'),
  },
  parse: (r) => ownKeys(r, probeSection.checks),
};
