/**
 * Puts `const` back on the bundle's top-level declarations.
 *
 * esbuild declares every top-level binding of a bundle with `var` (deliberately, and with no
 * option to keep `const`). For XS that matters: when the device preloads the bundle (xsl), a
 * module variable that is not `const` is one the program may write, so XS keeps an alias for it
 * and copies it to RAM on the first write ("no const" in xsl's report) — every table and number
 * the source declared `const` would cost RAM.
 *
 * Input is a bundle printed by esbuild without whitespace minification: every top-level statement
 * then starts at column 0 and nested code is indented. Each top-level `var` becomes `const`; esbuild
 * itself (a transform, which keeps `const`) then names every binding that is assigned again
 * ("Cannot assign to X because it is a constant") or has no initializer, and those statements go
 * back to `var`. What stays `var` is module state the code really writes.
 */
import { transform, type Message } from 'esbuild';

export interface ConstifyResult {
  code: string;
  /** Top-level bindings left as `var` because the code assigns them (names as printed). */
  mutable: string[];
  /** Statements turned into `const`. */
  constCount: number;
}

const ASSIGNED = [/Cannot assign to "([^"]+)" because it is a constant/, /The constant "([^"]+)" must be initialized/, /This assignment will throw because "([^"]+)" is a constant/];

/** Top-level statement index → its lines [start, end), for statements that start with `var `. */
function varStatements(lines: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('var ')) continue;
    let end = i + 1;
    while (end < lines.length && (lines[end] === '' || /^[\s)\]}]/.test(lines[end]!))) end++;
    out.push([i, end]);
  }
  return out;
}

/** The statement among `statements` that declares `name` (as the first or a later declarator). */
function declaring(lines: readonly string[], statements: readonly [number, number][], name: string): [number, number] | undefined {
  const escaped = name.replace(/[$]/g, '\\$');
  const first = new RegExp(`^(?:var|const) ${escaped}\\b`);
  const later = new RegExp(`(?:^|,)\\s*${escaped}(?: =|,|;|$)`, 'm');
  return statements.find(([s]) => first.test(lines[s]!)) ?? statements.find(([s, e]) => later.test(lines.slice(s, e).join('\n')));
}

export async function constifyTopLevel(bundle: string, target: string): Promise<ConstifyResult> {
  const lines = bundle.split('\n');
  const statements = varStatements(lines);
  const isConst = new Set(statements.map(([s]) => s));
  const mutable: string[] = [];
  const render = () => lines.map((l, i) => (isConst.has(i) ? `const ${l.slice(4)}` : l)).join('\n');
  for (let round = 0; round <= statements.length; round++) {
    let errors: Message[] = [];
    let warnings: Message[] = [];
    try {
      warnings = (await transform(render(), { format: 'esm', target, logLevel: 'silent' })).warnings;
    } catch (e) {
      errors = (e as { errors?: Message[] }).errors ?? [];
      if (!errors.length) throw e;
    }
    const names = [...errors, ...warnings].flatMap((m) => ASSIGNED.map((r) => r.exec(m.text)?.[1]).filter((n): n is string => n !== undefined));
    if (!names.length) {
      if (errors.length) throw new Error(`constify: the bundle does not compile: ${errors.map((m) => m.text).join('; ')}`);
      return { code: render(), mutable, constCount: isConst.size };
    }
    for (const name of new Set(names)) {
      const st = declaring(lines, statements, name);
      if (!st) throw new Error(`constify: no top-level declaration of "${name}" found`);
      isConst.delete(st[0]);
      mutable.push(name);
    }
  }
  throw new Error('constify: did not settle');
}
