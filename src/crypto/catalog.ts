/**
 * The algorithms this build speaks. This file lists all of them (Node, tests, the XS test host);
 * the device build (scripts/build-lib.ts, `algorithms` option) replaces this module with one that
 * imports only the algorithms the manifest's ikeProposals/espProposals name.
 */
import { catalogOf } from './algorithm.ts';
import * as all from './algorithms/index.ts';

export const CATALOG = catalogOf(Object.values(all));
