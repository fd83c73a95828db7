/** The agent's one retry policy (src/util/backoff.ts), used for redialling and for the tunnel. */
import { intIn } from './checks.ts';
import type { ConfigSection } from './section.ts';
import type { BackoffSettings } from '../util/backoff.ts';

export interface RetryManifest {
  maxAttempts: number; // quick attempts before the waits grow to retryInterval
  retryInterval: number; // s: the first slow wait
  retryMaxInterval: number; // s: the longest wait; the agent keeps trying at this pace for ever
}

/** The first quick wait; it doubles with each quick attempt. */
export const QUICK_RETRY_MS = 2000;

export const retrySection: ConfigSection<RetryManifest, BackoffSettings> = {
  defaults: { maxAttempts: 5, retryInterval: 60, retryMaxInterval: 1800 },
  checks: {
    maxAttempts: (v) => intIn(v, 1, 100),
    retryInterval: (v) => intIn(v, 5, 86400, ' seconds'),
    retryMaxInterval: (v) => intIn(v, 5, 86400, ' seconds'),
  },
  cross: (r, issues) => {
    if (r.retryMaxInterval < r.retryInterval) issues.error(`config.retryMaxInterval: expected at least config.retryInterval (${r.retryInterval} s)`);
  },
  parse: (r) => ({ quickAttempts: r.maxAttempts, quickMs: QUICK_RETRY_MS, intervalMs: r.retryInterval * 1000, maxIntervalMs: r.retryMaxInterval * 1000 }),
};
