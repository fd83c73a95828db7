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
 * ("Cannot assign to X because it is a constant") or has no initializer, and those declarators go
 * back to `var` (a statement that declares both kinds is split, keeping their order). What stays
 * `var` is module state the code really writes.
 */
import { transform, type Message } from 'esbuild';

export interface ConstifyResult {
  code: string;
  /** Top-level bindings left as `var` because the code assigns them (names as printed). */
  mutable: string[];
  /** Top-level bindings declared `const`. */
  constCount: number;
}

const ASSIGNED = [/Cannot assign to "([^"]+)" because it is a constant/, /The constant "([^"]+)" must be initialized/, /This assignment will throw because "([^"]+)" is a constant/];

interface Declarator {
  name: string;
  /** `name = init` (or just `name`), as printed. */
  text: string;
  mutable: boolean;
}

/**
 * The declarators of one `var`/`let`/`const` statement (text after the keyword, up to its `;`): split at
 * the commas outside brackets and string literals. Each starts with the name it declares.
 */
export function splitDeclarators(body: string): Omit<Declarator, 'mutable'>[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < body.length && body[i] !== c; i++) if (body[i] === '\\') i++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.map((p) => ({ name: /^\s*([\w$]+)/.exec(p)?.[1] ?? '', text: p.trim() }));
}

interface Statement {
  /** Lines [start, end) of the bundle. */
  start: number;
  end: number;
  declarators: Declarator[];
}

/** Every top-level statement that starts with `var `, with its declarators. */
function varStatements(lines: readonly string[]): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('var ')) continue;
    let end = i + 1;
    while (end < lines.length && (lines[end] === '' || /^[\s)\]}]/.test(lines[end]!))) end++;
    const text = lines.slice(i, end).join('\n').trimEnd();
    const body = text.slice(4).replace(/;$/, '');
    out.push({ start: i, end, declarators: splitDeclarators(body).map((d) => ({ ...d, mutable: false })) });
  }
  return out;
}

/** A statement as const runs and var runs, in the declarators' order (so evaluation order is kept). */
function renderStatement(st: Statement): string {
  const runs: { mutable: boolean; texts: string[] }[] = [];
  for (const d of st.declarators) {
    const last = runs.at(-1);
    if (last && last.mutable === d.mutable) last.texts.push(d.text);
    else runs.push({ mutable: d.mutable, texts: [d.text] });
  }
  return runs.map((r) => `${r.mutable ? 'var' : 'const'} ${r.texts.join(', ')};`).join('\n');
}

export async function constifyTopLevel(bundle: string, target: string): Promise<ConstifyResult> {
  const lines = bundle.split('\n');
  const statements = varStatements(lines);
  const byName = new Map(statements.flatMap((st) => st.declarators.map((d) => [d.name, d] as const)));
  const mutable: string[] = [];
  const render = () => {
    const out: string[] = [];
    let i = 0;
    for (const st of statements) {
      out.push(...lines.slice(i, st.start), renderStatement(st));
      i = st.end;
    }
    out.push(...lines.slice(i));
    return out.join('\n');
  };
  for (let round = 0; round <= byName.size; round++) {
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
      return { code: render(), mutable, constCount: [...byName.values()].filter((d) => !d.mutable).length };
    }
    for (const name of new Set(names)) {
      const d = byName.get(name);
      if (!d || d.mutable) throw new Error(`constify: no top-level declaration of "${name}" to leave as var`);
      d.mutable = true;
      mutable.push(name);
    }
  }
  throw new Error('constify: did not settle');
}
