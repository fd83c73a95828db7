/**
 * Firmware versions in SemVer 2.0 precedence (semver.org §11), the total order anti-rollback uses:
 * MAJOR.MINOR.PATCH compared numerically; a pre-release (`1.2.0-rc.1`) is below its release and
 * pre-releases compare identifier by identifier (numeric below alphanumeric, a longer list above its
 * prefix); build metadata (`+b7`) is ignored. What is not valid SemVer has no place in the order:
 * it is never newer than anything.
 */

interface SemVer {
  core: [number, number, number];
  pre: string[];
}

const NUMERIC = /^(0|[1-9]\d*)$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** The version's precedence parts, or undefined when it is not SemVer 2.0 (or a part overflows). */
export function parseSemVer(text: string): SemVer | undefined {
  const m = SEMVER.exec(text);
  if (!m) return undefined;
  const core = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  if (!core.every(Number.isSafeInteger)) return undefined;
  const pre = m[4] === undefined ? [] : m[4].split('.');
  // §9: numeric pre-release identifiers have no leading zeros.
  if (pre.some((id) => /^\d+$/.test(id) && !NUMERIC.test(id))) return undefined;
  return { core, pre };
}

function compareIds(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0; // no leading zeros: length first
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0; // ASCII order
}

/** <0, 0, >0 in SemVer precedence; undefined when either is not SemVer. */
export function compareVersions(a: string, b: string): number | undefined {
  const x = parseSemVer(a);
  const y = parseSemVer(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! - y.core[i]!;
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length; // a release is above its pre-releases
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const d = compareIds(x.pre[i]!, y.pre[i]!);
    if (d !== 0) return d;
  }
  return x.pre.length - y.pre.length;
}

/** Whether `candidate` is strictly above `floor`; false when either is not SemVer. */
export function isNewer(candidate: string, floor: string): boolean {
  return (compareVersions(candidate, floor) ?? 0) > 0;
}
