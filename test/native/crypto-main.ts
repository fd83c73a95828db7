/**
 * The twin's test program (in place of hosts/esp32/main.ts): runs cases on the native backend and
 * prints "crypto-case <index> <result>" for each, then "crypto-cases-done". The test
 * (test/unit/native-crypto.test.ts) builds an entry that passes its cases to runAll().
 */
import * as native from '../../src/crypto/native/backend.ts';
import { runCase, type CryptoCase } from './crypto-cases.ts';

declare function trace(text: string): void;

export function runAll(cases: readonly CryptoCase[]): void {
  cases.forEach((c, i) => trace(`crypto-case ${i} ${runCase(native, c)}\n`));
  trace('crypto-cases-done\n');
}
