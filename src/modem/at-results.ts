/** Final result codes of V.250 / 27.007 and how to describe them to a human. */
import { cmeCodeFromText, cmeText } from './cme-errors.ts';

export type FinalKind = 'ok' | 'error' | 'cme' | 'cms' | 'connect' | 'no-carrier' | 'busy' | 'no-dialtone' | 'no-answer';

export interface FinalResult {
  kind: FinalKind;
  line: string;
  /** +CME ERROR / +CMS ERROR code; from the verbose text when the modem sent text. */
  code?: number;
  /** CONNECT's rate or other text after the keyword. */
  detail?: string;
}

/** Final results that only end a dial (ATD/ATA/ATO); elsewhere they are unsolicited. */
export const DIAL_FINALS: ReadonlySet<FinalKind> = new Set(['connect', 'no-carrier', 'busy', 'no-dialtone', 'no-answer']);

export function parseFinal(line: string): FinalResult | undefined {
  const upper = line.toUpperCase();
  if (upper === 'OK') return { kind: 'ok', line };
  if (upper === 'ERROR') return { kind: 'error', line };
  if (upper === 'NO CARRIER') return { kind: 'no-carrier', line };
  if (upper === 'BUSY') return { kind: 'busy', line };
  if (upper === 'NO DIALTONE' || upper === 'NO DIAL TONE') return { kind: 'no-dialtone', line };
  if (upper === 'NO ANSWER') return { kind: 'no-answer', line };
  const connect = /^CONNECT(?:\s+(.*))?$/i.exec(line);
  if (connect) return { kind: 'connect', line, detail: connect[1]?.trim() };
  const err = /^\+(CME|CMS) ERROR:\s*(.*)$/i.exec(line);
  if (err) {
    const kind = err[1]!.toUpperCase() === 'CME' ? 'cme' : 'cms';
    const arg = err[2]!.trim();
    const code = /^\d+$/.test(arg) ? Number(arg) : kind === 'cme' ? cmeCodeFromText(arg) : undefined;
    return { kind, line, code, detail: arg };
  }
  return undefined;
}

/** '+CME ERROR: 16 (incorrect password)': the code and its meaning, whichever form arrived. */
export function describeFinal(f: FinalResult): string {
  if (f.kind === 'cme' && f.code !== undefined) {
    const text = cmeText(f.code);
    if (f.detail && /^\d+$/.test(f.detail)) return text ? `+CME ERROR: ${f.code} (${text})` : f.line;
    return `+CME ERROR: ${f.code} (${f.detail})`;
  }
  return f.line;
}
