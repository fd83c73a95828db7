/** PPP's share of the manifest config. */
import { intIn, oneOf, stringMax } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';

export type PppAuthMethod = 'none' | 'pap' | 'chap';

export interface PppManifest {
  pppAuth: PppAuthMethod;
  pppUser: string;
  pppPassword: string;
  lcpEchoInterval: number; // s between LCP echo requests on an idle line, 0 = off
  lcpEchoFailures: number; // unanswered echoes before the link is declared dead
  mru: number;
}

export interface PppSettings {
  auth: PppAuthMethod;
  user: string;
  password: string;
  echoIntervalMs: number;
  echoFailures: number;
  mru: number;
}

export const pppSection: ConfigSection<PppManifest, PppSettings> = {
  defaults: { pppAuth: 'none', pppUser: '', pppPassword: '', lcpEchoInterval: 30, lcpEchoFailures: 4, mru: 1500 },
  secrets: ['pppPassword'],
  checks: {
    pppAuth: (v) => oneOf(v, ['none', 'pap', 'chap']),
    pppUser: (v) => stringMax(v, 64),
    pppPassword: (v) => stringMax(v, 64),
    lcpEchoInterval: (v) => intIn(v, 0, 3600, ' seconds, 0 = off'),
    lcpEchoFailures: (v) => intIn(v, 1, 100),
    mru: (v) => intIn(v, 576, 1500, ' bytes'),
  },
  cross: (r, issues) => {
    if (r.pppAuth !== 'none' && r.pppUser === '') issues.warn(`config.pppUser: empty with pppAuth '${r.pppAuth}'; most networks accept any user name`);
  },
  parse: (r) => ({ auth: r.pppAuth, user: r.pppUser, password: r.pppPassword, echoIntervalMs: r.lcpEchoInterval * 1000, echoFailures: r.lcpEchoFailures, mru: r.mru }),
};
