/**
 * The simulator's Store: one small JSON file, rewritten whole (to a temporary name, then renamed)
 * on every set, so a crash leaves the old values or the new ones, never half a file.
 */
import fs from 'node:fs';
import type { Store } from '../../src/platform.ts';

export class FileStore implements Store {
  constructor(private readonly file: string) {}

  get(key: string): string | undefined {
    const value = this.read()[key];
    return typeof value === 'string' ? value : undefined;
  }

  set(key: string, value: string): void {
    const all = { ...this.read(), [key]: value };
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(all)}\n`);
    fs.renameSync(tmp, this.file);
  }

  private read(): Record<string, unknown> {
    try {
      const v: unknown = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {}; // none yet, or unreadable: nothing kept
    }
  }
}
