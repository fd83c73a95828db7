/**
 * The ESP32's Store: Moddable's preference module (modules/files/preference in the SDK), which
 * keeps each value in NVS (ESP-IDF's key/value flash partition) and commits on every set. Domain
 * and keys are at most 15 characters (NVS's limit). get() of a key never set is undefined.
 */
import type { Store } from '../../src/platform.ts';

/** The shape of Moddable's `preference` module class (static methods). */
export interface PreferenceModule {
  get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined;
  set(domain: string, key: string, value: string): void;
}

export class PreferenceStore implements Store {
  constructor(private readonly preference: PreferenceModule, private readonly domain = 'ikelet') {}

  get(key: string): string | undefined {
    const value = this.preference.get(this.domain, key);
    return typeof value === 'string' ? value : undefined;
  }

  set(key: string, value: string): void {
    this.preference.set(this.domain, key, value);
  }
}
