/** docs/config.md is generated from the config sections: it must say what the code says. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { CONFIG_DOC, configDoc, esp32Config, expectedForm } from '../../scripts/config-doc.ts';
import { CONFIG_SECTIONS } from '../../src/config/validate.ts';

test('docs/config.md is what the config sections say (npm run docs:config writes it)', () => {
  assert.equal(fs.readFileSync(CONFIG_DOC, 'utf8'), configDoc(esp32Config()));
});

test('every config key has a form its check states, and a row in docs/config.md', () => {
  const doc = fs.readFileSync(CONFIG_DOC, 'utf8');
  for (const [, section] of CONFIG_SECTIONS) {
    for (const [key, check] of Object.entries(section.checks)) {
      assert.ok(expectedForm(check as never, key).length > 3, `${key}: its check states a form`);
      assert.match(doc, new RegExp(`^\\| \`${key}\` \\|`, 'm'), key);
    }
  }
});
