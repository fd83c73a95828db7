/** Every relative link in the project's Markdown reaches a file, and an anchor a heading in it. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../scripts/moddable-sdk.ts';

/** GitHub's anchor for a heading. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\s-]/g, '').replace(/\s/g, '-');

test('links between the docs reach their files and headings', () => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter((f) => f && fs.existsSync(path.join(REPO_ROOT, f)));
  const anchors = new Map(files.map((f) => [f, new Set([...fs.readFileSync(path.join(REPO_ROOT, f), 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!)))]));
  const broken: string[] = [];
  for (const file of files) {
    for (const [, url] of fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(url!)) continue;
      const [target, anchor] = url!.split('#');
      const to = target ? path.normalize(path.join(path.dirname(file), target)) : file;
      if (!fs.existsSync(path.join(REPO_ROOT, to))) broken.push(`${file}: ${url} (no such file)`);
      else if (anchor && to.endsWith('.md') && !anchors.get(to)?.has(anchor)) broken.push(`${file}: ${url} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});
