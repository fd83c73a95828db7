/**
 * Which source file each of xsl's preload warnings comes from.
 *
 * xsl names a warning by its path from a module export through closures ('f()') and properties,
 * ending in the variable or object at fault. Run on the readable device bundle (identifiers kept,
 * see build-lib.ts), those names are the source's own; esbuild's `// path` comments say which file
 * each top-level statement comes from, and declarations say where a local name lives.
 */
import { splitDeclarators } from './constify.ts';
import type { XslWarning } from './moddable-check.ts';

export interface AttributedWarning extends XslWarning {
  /** Source file (src/..., or node_modules/@noble/...), or 'unknown'. */
  file: string;
  /** The variable or object xsl points at. */
  binding: string;
}

interface Region {
  file: string;
  text: string;
  /** Names its top-level statements declare. */
  topLevel: Set<string>;
}

const normalize = (file: string): string => {
  const i = file.lastIndexOf('node_modules/');
  return i >= 0 ? file.slice(i) : file;
};

/** Names a top-level statement declares: a function's or class's, or every declarator's. */
function declaredNames(statement: string): string[] {
  const decl = /^(?:const|let|var) /.exec(statement);
  if (decl) return splitDeclarators(statement.slice(decl[0].length).replace(/;\s*$/, '')).map((d) => d.name).filter(Boolean);
  const named = /^(?:class|function\*?|async function\*?)\s+([\w$]+)/.exec(statement);
  return named ? [named[1]!] : [];
}

function regionsOf(readable: string): Region[] {
  const regions: Region[] = [];
  let current: Region = { file: 'bundle', text: '', topLevel: new Set() };
  const lines = readable.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const comment = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(line);
    if (comment) {
      regions.push(current);
      current = { file: normalize(comment[1]!), text: '', topLevel: new Set() };
      continue;
    }
    current.text += `${line}\n`;
    if (/^[A-Za-z_$]/.test(line)) {
      let end = i + 1;
      while (end < lines.length && /^[\s)\]}]/.test(lines[end]!)) end++;
      for (const n of declaredNames(lines.slice(i, end).join('\n'))) current.topLevel.add(n);
    }
  }
  regions.push(current);
  return regions.filter((r) => r.text.trim());
}

/** The identifier a path segment starts with: 'Foo.prototype.bar' -> 'Foo', 'T[3]' -> 'T'. */
const baseName = (segment: string): string => /^[\w$]+/.exec(segment.trim())?.[0] ?? segment;

export function attributeWarnings(readable: string, warnings: readonly XslWarning[]): AttributedWarning[] {
  const regions = regionsOf(readable);
  const topLevel = (name: string) => regions.filter((r) => r.topLevel.has(name));
  const anywhere = (name: string) => {
    const n = name.replace(/\$/g, '\\$');
    // A declaration (plain or destructured), or a parameter: inside a parenthesized list that is
    // followed by `=>` or `{`.
    const decl = new RegExp(`\\b(?:const|let|var|function|class)\\s+${n}\\b|\\b(?:const|let|var)\\s*\\{[^{}]*\\b${n}\\b[^{}]*\\}\\s*=|\\([^()]*\\b${n}\\b[^()]*\\)\\s*(?:=>|\\{)`);
    return regions.filter((r) => decl.test(r.text));
  };
  return warnings.map((w) => {
    const raw = w.path.split('() ');
    const segments = raw.map(baseName);
    const binding = segments.at(-1)!;
    // Where the last name is declared at top level; else, for a local, the candidate files that
    // declare it, narrowed by the environment chain: the nearest function up the chain with a
    // known file. A function reached through a property (CATALOG.encr[0].cipher) may be anyone's,
    // typically a library's: then the one package among the library candidates.
    let file: string | undefined = topLevel(binding)[0]?.file;
    if (!file) {
      const local = anywhere(binding);
      let k = segments.length - 2;
      while (k >= 0 && !topLevel(segments[k]!).length) k--;
      const anchor = k >= 0 ? topLevel(segments[k]!)[0]!.file : undefined;
      const viaProperty = raw.slice(k >= 0 ? k : 0, -1).some((r) => r.includes('.'));
      const pick = (cands: Region[]) => (new Set(cands.map((r) => ownerFolder(r.file))).size === 1 ? cands[0]!.file : undefined);
      if (local.length === 1) file = local[0]!.file;
      else if (anchor && !viaProperty) file = pick(local.filter((r) => ownerFolder(r.file) === ownerFolder(anchor))) ?? anchor;
      else if (local.length) {
        const near = anchor ? local.filter((r) => ownerFolder(r.file) === ownerFolder(anchor)) : [];
        file = pick(near) ?? pick(local.filter((r) => r.file.startsWith('node_modules/'))) ?? `unknown (one of ${local.map((r) => r.file).join(', ')})`;
      }
      else file = anchor;
    }
    return { ...w, file: file ?? 'unknown', binding };
  });
}

/** 'src/ike', 'node_modules/@noble/curves', ...: the folder a file counts under in the tables. */
export function ownerFolder(file: string): string {
  if (file.startsWith('unknown')) return 'unknown';
  if (file.startsWith('node_modules/')) return file.split('/').slice(0, file.split('/')[1]!.startsWith('@') ? 3 : 2).join('/');
  const parts = file.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : file;
}

/** Warnings per owner folder, most first: [folder, not frozen, no const]. */
export function warningsByFolder(warnings: readonly AttributedWarning[]): [string, number, number][] {
  const rows = new Map<string, [number, number]>();
  for (const w of warnings) {
    const row = rows.get(ownerFolder(w.file)) ?? [0, 0];
    row[w.kind === 'not frozen' ? 0 : 1]++;
    rows.set(ownerFolder(w.file), row);
  }
  return [...rows].map(([f, [a, b]]) => [f, a, b] as [string, number, number]).sort((x, y) => y[1] + y[2] - (x[1] + x[2]) || x[0].localeCompare(y[0]));
}
