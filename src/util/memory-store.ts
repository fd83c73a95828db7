/** A Store that lasts as long as the process: hosts without persistent storage (xsnap, tests). */
import type { Store } from '../platform.ts';

export class MemoryStore implements Store {
  private readonly values = new Map<string, string>();

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  set(key: string, value: string): void {
    this.values.set(key, value);
  }
}
