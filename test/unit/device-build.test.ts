/** The device bundle must never reach Node: a src/ file that does breaks the build. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildDevice, DEVICE_TARGET } from '../../scripts/build-lib.ts';

/** A throwaway copy of src/ inside the repo (so node_modules still resolves). */
function copyOfSrc(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.resolve('build/src-copy-'));
  fs.cpSync('src', path.join(dir, 'src'), { recursive: true });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function addToEntry(dir: string, file: string, code: string): void {
  fs.writeFileSync(path.join(dir, 'src', file), code);
  fs.appendFileSync(path.join(dir, 'src', 'index.ts'), `\nexport * from './${file}';\n`);
}

test('device bundle builds as one ES module for the XS target', async (t) => {
  fs.mkdirSync('build', { recursive: true });
  const out = path.join(copyOfSrc(t), 'ikelet.js');
  await buildDevice({ entry: 'src/index.ts', outfile: out });
  const text = fs.readFileSync(out, 'utf8');
  assert.match(text, /export\s*\{/, 'an ES module with exports');
  assert.equal(DEVICE_TARGET, 'es2020');
});

for (const [name, code] of [
  ['node:fs', `import { readFileSync } from 'node:fs';\nexport const peek = () => readFileSync('/etc/hostname');\n`],
  ['crypto', `import { randomBytes } from 'crypto';\nexport const r = () => randomBytes(4);\n`],
] as const) {
  test(`a src/ file importing the Node module "${name}" breaks the device build`, async (t) => {
    fs.mkdirSync('build', { recursive: true });
    const dir = copyOfSrc(t);
    addToEntry(dir, 'leak.ts', code);
    await assert.rejects(buildDevice({ entry: path.join(dir, 'src/index.ts'), outfile: path.join(dir, 'out.js') }), (e: Error) => {
      assert.match(e.message, new RegExp(`Node built-in "${name}"`));
      assert.match(e.message, /leak\.ts/);
      return true;
    });
  });
}

test('a src/ file using the Node global Buffer breaks the device build', async (t) => {
  fs.mkdirSync('build', { recursive: true });
  const dir = copyOfSrc(t);
  addToEntry(dir, 'leak.ts', `export const b = (x: string) => (globalThis as unknown as { x: number }).x + Buffer.from(x).length;\n`);
  await assert.rejects(buildDevice({ entry: path.join(dir, 'src/index.ts'), outfile: path.join(dir, 'out.js') }), /Node global "Buffer"/);
});
