import assert from 'node:assert/strict';
import { parseProposal, type EspSuite } from '../../src/crypto/suites.ts';

/** The ESP suite of a swanctl proposal, as a CHILD SA would have negotiated it. */
export function parseSuite(text: string): EspSuite {
  const r = parseProposal(text, 'esp');
  assert.ok(r.ok);
  return { encr: r.value.encr[0]!, integ: r.value.integ[0], dh: undefined };
}
