/**
 * Makes the device bundle safe to preload.
 *
 * The ESP32 build preloads the bundle (xsl): its module bodies run at build time and everything
 * they made goes to flash. Objects there are copied to RAM when written, but ArrayBuffers are not:
 * their bytes are read-only ("TypeError: read-only buffer"). noble keeps a few scratch buffers at
 * module level and writes them on every call (SHA-256's message schedule, SHA-512's, MD5's), so a
 * preloaded noble fails at the first hash.
 *
 * The fix leaves noble's code as it is and moves only those buffers: each becomes a `let` that a
 * function appended to the module assigns again, and the bundle's startAgent calls those functions
 * first, so the buffers the program writes are made in RAM, once, at boot.
 */
import type { Plugin } from 'esbuild';
import fs from 'node:fs';

export const RENEW = '__ikeletRenewScratch';

interface Scratch {
  name: string;
  /** What makes it: `new Uint32Array(64)`, or for a view of another scratch buffer, its initializer. */
  init: string;
}

/** One-line top-level `const NAME = INIT;` statements of a module. */
function topLevelConsts(source: string): Scratch[] {
  return [...source.matchAll(/^const (\w+) = (?:\/\* @__PURE__ \*\/ )?(.+);$/gm)].map(([, name, init]) => ({ name: name!, init: init! }));
}

/**
 * The module-level typed arrays a module writes (by index, set, fill, or noble's clean()), and the
 * module-level values made from them (views such as `u32(ZEROS16)`), which must be remade with them.
 */
export function writtenScratch(source: string): Scratch[] {
  const consts = topLevelConsts(source);
  const written = (name: string) => new RegExp(`\\b${name}\\[[^\\]]+\\]\\s*=[^=]|\\b${name}\\.(fill|set)\\(|\\bclean\\([^)]*\\b${name}\\b`).test(source);
  const buffers = consts.filter((c) => /^new (?:(?:Uint|Int)(?:8|16|32)|Float(?:32|64))Array\(\d+\)$/.test(c.init));
  const out = buffers.filter((b) => written(b.name) || consts.some((c) => c !== b && new RegExp(`\\b${b.name}\\b`).test(c.init) && written(c.name)));
  // Everything made from a renewed value is renewed after it, in source order.
  for (const c of consts) if (!out.includes(c) && out.some((o) => new RegExp(`\\b${o.name}\\b`).test(c.init))) out.push(c);
  return out.sort((a, b) => source.indexOf(`const ${a.name} = `) - source.indexOf(`const ${b.name} = `));
}

export function patchScratch(source: string, scratch: readonly Scratch[]): string {
  let out = source;
  for (const s of scratch) out = out.replace(new RegExp(`^const ${s.name} = `, 'm'), `let ${s.name} = `);
  const renew = scratch.map((s) => `  ${s.name} = ${s.init};`).join('\n');
  return `${out}\n// ikelet (scripts/preload-safe.ts): remade in RAM at boot; a preloaded buffer is read-only.\nexport function ${RENEW}() {\n${renew}\n}\n`;
}

const isLibrary = (file: string) => /[\\/]node_modules[\\/]@noble[\\/]/.test(file);

/** Which buffers to move, per library file: those the bundle still has after tree shaking. */
export type ScratchPlan = Map<string, Scratch[]>;

/** The plan for a bundle, from its input files (absolute paths) and its unminified text. */
export function scratchPlan(inputs: readonly string[], bundle: string): ScratchPlan {
  const plan: ScratchPlan = new Map();
  for (const file of inputs.filter(isLibrary)) {
    const kept = writtenScratch(fs.readFileSync(file, 'utf8')).filter((s) => new RegExp(`\\b${s.name}\\b`).test(bundle));
    if (kept.length) plan.set(file, kept);
  }
  return plan;
}

/** esbuild plugin: patches the files of the plan. */
export function preloadSafeScratch(plan: ScratchPlan): Plugin {
  return {
    name: 'ikelet-preload-safe-scratch',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]@noble[\\/].*\.js$/ }, (args) => {
        const scratch = plan.get(args.path);
        return scratch ? { contents: patchScratch(fs.readFileSync(args.path, 'utf8'), scratch), loader: 'js' } : undefined;
      });
    },
  };
}

/** The device bundle's entry: src/index.ts, with startAgent renewing the patched buffers first. */
export function preloadSafeEntry(entry: string, patched: readonly string[]): string {
  const imports = patched.map((f, i) => `import { ${RENEW} as renew${i} } from ${JSON.stringify(f)};`);
  return [
    `export * from ${JSON.stringify(entry)};`,
    `import { startAgent as start } from ${JSON.stringify(entry)};`,
    ...imports,
    `export function startAgent(platform) {`,
    ...patched.map((_, i) => `  renew${i}();`),
    `  return start(platform);`,
    `}`,
    '',
  ].join('\n');
}
