/**
 * A catalog: the algorithms one build of the agent speaks, grouped by transform type.
 * Every lookup (proposal words, transform IDs of a responder's choice) goes through it, for IKE
 * and ESP alike. catalog.ts is the full one; a device build generates its own from the manifest.
 */
import type { DhGroup } from './dh.ts';
import type { EncrAlgorithm } from './encr.ts';
import type { IntegAlgorithm } from './integ.ts';
import type { PrfAlgorithm } from './prf.ts';

export type Algorithm = EncrAlgorithm | PrfAlgorithm | IntegAlgorithm | DhGroup;

export interface Catalog {
  readonly encr: readonly EncrAlgorithm[];
  readonly prf: readonly PrfAlgorithm[];
  readonly integ: readonly IntegAlgorithm[];
  readonly dh: readonly DhGroup[];
}

/** Groups algorithms by type; the result and its lists are frozen (they live in flash on the device). */
export function catalogOf(algorithms: readonly Algorithm[]): Catalog {
  const of = <K extends Algorithm['kind']>(kind: K) => Object.freeze(algorithms.filter((a): a is Extract<Algorithm, { kind: K }> => a.kind === kind));
  return Object.freeze({ encr: of('encr'), prf: of('prf'), integ: of('integ'), dh: of('dh') });
}

/** The algorithm a swanctl word names in this catalog (its name or an alias). */
export function algorithmNamed(catalog: Catalog, word: string): Algorithm | undefined {
  for (const list of [catalog.encr, catalog.prf, catalog.integ, catalog.dh] as readonly (readonly Algorithm[])[]) {
    const hit = list.find((a) => a.name === word || a.aliases.includes(word));
    if (hit) return hit;
  }
  return undefined;
}
