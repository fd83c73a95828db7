/**
 * The PPP authentication clients this build carries, by pppAuth. Here both; the device build
 * (scripts/device-modules.ts) keeps only the configured one, so CHAP's MD5 is not bundled for PAP.
 */
import { ChapResponder, PapClient } from './auth.ts';

export const AUTH_METHODS: Readonly<Partial<Record<'pap' | 'chap', typeof PapClient | typeof ChapResponder>>> = Object.freeze({ pap: PapClient, chap: ChapResponder });
