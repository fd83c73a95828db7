/** Network registration (+CREG/+CGREG/+CEREG) and signal quality (+CSQ) of 27.007 §7.2, §8.5. */

export interface Registration {
  which: 'CREG' | 'CGREG' | 'CEREG' | 'C5GREG';
  stat: number;
  /** LAC/TAC and cell id in hex, when the modem reports them (n=2). */
  area?: string;
  cell?: string;
  act?: number;
}

export const STAT_DENIED = 3;

/** Home: 1, and 9 (LTE, CSFB not preferred). Roaming: 5 and 10. */
export function isRegistered(stat: number): boolean {
  return stat === 1 || stat === 5 || stat === 9 || stat === 10;
}

export function isRoaming(stat: number): boolean {
  return stat === 5 || stat === 10;
}

/**
 * Parses both the answer to AT+CEREG? ("+CEREG: <n>,<stat>[,...]") and the URC
 * ("+CEREG: <stat>[,"tac","ci",act]"). The answer's second field is a bare number,
 * the URC's is empty or quoted, which tells them apart.
 */
export function parseRegistration(line: string): Registration | undefined {
  const m = /^\+(CREG|CGREG|CEREG|C5GREG):\s*(.*)$/i.exec(line);
  if (!m) return undefined;
  const which = m[1]!.toUpperCase() as Registration['which'];
  const fields = m[2]!.split(',').map((f) => f.trim());
  if (!/^\d+$/.test(fields[0] ?? '')) return undefined;
  const solicited = fields.length >= 2 && /^\d+$/.test(fields[1]!);
  const rest = solicited ? fields.slice(1) : fields;
  const stat = Number(rest[0]);
  const unquote = (s: string | undefined): string | undefined => {
    const v = s?.replace(/^"|"$/g, '');
    return v ? v : undefined;
  };
  const act = rest[3] !== undefined && /^\d+$/.test(rest[3]) ? Number(rest[3]) : undefined;
  return { which, stat, area: unquote(rest[1]), cell: unquote(rest[2]), act };
}

export interface SignalQuality {
  rssi: number;
  ber: number;
  /** undefined when the modem does not know (rssi 99: no signal or not measurable). */
  dbm: number | undefined;
}

export function parseCsq(line: string): SignalQuality | undefined {
  const m = /^\+CSQ:\s*(\d+)\s*,\s*(\d+)$/i.exec(line);
  if (!m) return undefined;
  const rssi = Number(m[1]);
  return { rssi, ber: Number(m[2]), dbm: csqToDbm(rssi) };
}

/** 27.007 §8.5: 0 → -113 dBm, 1 → -111, 2..30 → -109..-53 in 2 dB steps, 31 → -51 or better. */
export function csqToDbm(rssi: number): number | undefined {
  if (!Number.isInteger(rssi) || rssi < 0 || rssi > 31) return undefined;
  return -113 + 2 * rssi;
}
