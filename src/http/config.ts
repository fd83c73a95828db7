/** The HTTP client's config section: bounds on what a server may send, and its patience. */
import { intIn } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './response.ts';

export interface HttpRaw {
  httpMaxLine: number; // bytes
  httpMaxHeaderBytes: number; // bytes
  httpMaxHeaders: number;
  httpTimeout: number; // s
}

export interface HttpSettings {
  limits: HttpLimits;
  timeoutMs: number;
}

export const httpSection: ConfigSection<HttpRaw, HttpSettings> = {
  defaults: {
    httpMaxLine: DEFAULT_HTTP_LIMITS.maxLine,
    httpMaxHeaderBytes: DEFAULT_HTTP_LIMITS.maxHeaderBytes,
    httpMaxHeaders: DEFAULT_HTTP_LIMITS.maxHeaders,
    httpTimeout: 30,
  },
  checks: {
    httpMaxLine: (v) => intIn(v, 128, 16384, ' bytes'),
    httpMaxHeaderBytes: (v) => intIn(v, 256, 65536, ' bytes'),
    httpMaxHeaders: (v) => intIn(v, 4, 256),
    httpTimeout: (v) => intIn(v, 5, 600, ' seconds'),
  },
  cross(raw, issues) {
    if (raw.httpMaxLine > raw.httpMaxHeaderBytes) issues.error('config.httpMaxLine: expected at most httpMaxHeaderBytes');
  },
  parse(raw) {
    return {
      limits: { maxLine: raw.httpMaxLine, maxHeaderBytes: raw.httpMaxHeaderBytes, maxHeaders: raw.httpMaxHeaders },
      timeoutMs: raw.httpTimeout * 1000,
    };
  },
};
