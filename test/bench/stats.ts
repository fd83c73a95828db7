/** Samples of a benchmark figure across runs, printed as "median (min–max)". */

export class Samples {
  private readonly values = new Map<string, number[]>();

  add(key: string, value: number): void {
    if (!Number.isFinite(value)) return;
    const list = this.values.get(key) ?? [];
    list.push(value);
    this.values.set(key, list);
  }

  get(key: string): number[] {
    return this.values.get(key) ?? [];
  }

  median(key: string): number | undefined {
    return median(this.get(key));
  }

  /** "1,234 B (1,200–1,260)"; "(=)" when every run gave the same; "n/a" without samples. */
  show(key: string, unit = '', digits = 0): string {
    return showSpread(this.get(key), unit, digits);
  }
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function num(n: number, digits = 0): string {
  const fixed = n.toFixed(digits);
  const [int, frac] = fixed.split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

export function showSpread(values: readonly number[], unit = '', digits = 0): string {
  const m = median(values);
  if (m === undefined) return 'n/a';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const u = unit ? ` ${unit}` : '';
  const spread = num(lo, digits) === num(hi, digits) ? '(=)' : `(${num(lo, digits)}–${num(hi, digits)})`;
  return `${num(m, digits)}${u} ${spread}`;
}

/** Bytes in the unit a plan is sold in. */
export function bytesHuman(n: number): string {
  if (n >= 1e6) return `${num(n / 1e6, 2)} MB`;
  if (n >= 1e3) return `${num(n / 1e3, 1)} kB`;
  return `${num(n)} B`;
}
