/**
 * The shape of src/: the platform module imports nothing (every layer may depend on it, it on none),
 * and no import cycle anywhere (type imports included): data and dependencies flow one way.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const SRC = path.resolve('src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative imports and re-exports of a file, resolved to files. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)) out.push(path.resolve(path.dirname(file), m[1]!));
  return out;
}

test('src/platform.ts imports nothing', () => {
  assert.deepEqual(importsOf(path.join(SRC, 'platform.ts')), []);
});

test('no import cycle under src/ (type imports included)', () => {
  const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]));
  const state = new Map<string, 'active' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'active') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(SRC, x)).join(' → '));
      return;
    }
    state.set(f, 'active');
    for (const g of graph.get(f) ?? []) visit(g, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, [], cycles.join('\n'));
});
