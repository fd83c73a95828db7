/**
 * swanctl proposal strings <-> IANA transforms <-> concrete algorithm suites.
 *
 *   parseProposal('aes128gcm16-prfsha256-x25519', 'ike')  -> ProposalSpec (may list several algorithms per type)
 *   proposalTransforms(spec)                               -> Transform[] for the SA payload
 *   acceptIkeProposal(offered, chosenTransforms)           -> IkeSuite (exactly one algorithm per type)
 */
import { algorithmNamed } from './algorithm.ts';
import { CATALOG } from './catalog.ts';
import type { DhGroup } from './dh.ts';
import type { EncrAlgorithm } from './encr.ts';
import type { Transform } from './ids.ts';
import { DhId, EsnId, IntegId, PrfId, TransformType } from './ids.ts';
import type { IntegAlgorithm } from './integ.ts';
import type { PrfAlgorithm } from './prf.ts';

import type { Result } from '../util/result.ts';
export type { Result };

export type ProposalProtocol = 'ike' | 'esp';

/** A parsed proposal: every algorithm it offers, per transform type, in configuration order. */
export interface ProposalSpec {
  protocol: ProposalProtocol;
  encr: EncrAlgorithm[];
  prf: PrfAlgorithm[]; // empty for ESP
  integ: IntegAlgorithm[]; // empty for AEAD proposals
  dh: DhGroup[]; // required for IKE; optional for ESP (PFS)
}

/** The algorithms negotiated for an IKE SA. */
export interface IkeSuite {
  encr: EncrAlgorithm;
  prf: PrfAlgorithm;
  integ: IntegAlgorithm | undefined;
  dh: DhGroup;
}

/** The algorithms negotiated for an ESP SA (32-bit sequence numbers only: ESN is never used). */
export interface EspSuite {
  encr: EncrAlgorithm;
  integ: IntegAlgorithm | undefined;
  /** PFS group, when the CHILD SA used one. */
  dh: DhGroup | undefined;
}

/** strongSwan derives the IKE PRF from the integrity algorithm when a non-AEAD proposal names none. */
const PRF_FOR_INTEG: Readonly<Record<number, number>> = Object.freeze({
  [IntegId.HMAC_SHA2_256_128]: PrfId.HMAC_SHA2_256,
  [IntegId.HMAC_SHA2_384_192]: PrfId.HMAC_SHA2_384,
  [IntegId.HMAC_SHA2_512_256]: PrfId.HMAC_SHA2_512,
  [IntegId.HMAC_SHA1_96]: PrfId.HMAC_SHA1,
});

/** The descriptor for an ENCR transform ID + key length attribute, if this build speaks it. */
export function findEncr(id: number, keyBits: number | undefined): EncrAlgorithm | undefined {
  return CATALOG.encr.find((e) => e.id === id && e.keyBits === keyBits);
}
export function findPrf(id: number): PrfAlgorithm | undefined {
  return CATALOG.prf.find((p) => p.id === id);
}
export function findInteg(id: number): IntegAlgorithm | undefined {
  return CATALOG.integ.find((i) => i.id === id);
}
export function findDhGroup(id: number): DhGroup | undefined {
  return CATALOG.dh.find((g) => g.id === id);
}

/** Groups a gateway may still offer (Azure's default is group 2) that ikelet refuses, by swanctl name. */
const WEAK_GROUPS: readonly string[] = Object.freeze(['modp768', 'modp1024', 'modp1536', 'modp1024s160', 'modp2048s224', 'modp2048s256']);

/** The swanctl words this build's catalog takes, for an error about one it does not. */
function supportedWords(): string {
  return [CATALOG.encr, CATALOG.integ, CATALOG.prf, CATALOG.dh].map((list) => list.map((a) => a.name).join(', ')).join('; ');
}

function pushUnique<T>(list: T[], item: T): void {
  if (!list.includes(item)) list.push(item);
}

/** Parses one swanctl proposal string. Errors name the offending word. */
export function parseProposal(text: string, protocol: ProposalProtocol): Result<ProposalSpec> {
  const spec: ProposalSpec = { protocol, encr: [], prf: [], integ: [], dh: [] };
  const fail = (why: string): Result<ProposalSpec> => ({ ok: false, error: `${protocol} proposal '${text}': ${why}` });
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '') return fail('empty');
  for (const word of trimmed.split('-')) {
    if (word === 'esn') return fail(`'esn' is not supported (ikelet uses 32-bit sequence numbers); use 'noesn' or leave it out`);
    if (word === 'noesn') {
      if (protocol === 'ike') return fail(`'noesn' only applies to ESP proposals`);
      continue;
    }
    const alg = algorithmNamed(CATALOG, word);
    if (!alg && WEAK_GROUPS.includes(word)) return fail(`'${word}' is not offered: MODP below 2048 bits and the RFC 5114 groups are too weak (RFC 8247 2.4); set the gateway's DH group to modp2048 (14) or ecp256 (19) and name that here`);
    if (!alg) return fail(`unknown algorithm '${word}' (this build speaks: ${supportedWords()})`);
    switch (alg.kind) {
      case 'encr': pushUnique(spec.encr, alg); break;
      case 'prf':
        if (protocol === 'esp') return fail(`'${word}' is a PRF, which ESP proposals do not take`);
        pushUnique(spec.prf, alg);
        break;
      case 'integ': pushUnique(spec.integ, alg); break;
      case 'dh': pushUnique(spec.dh, alg); break;
    }
  }
  if (spec.encr.length === 0) return fail('no encryption algorithm');
  const aead = spec.encr[0]!.aead;
  if (spec.encr.some((e) => e.aead !== aead)) return fail('cannot mix AEAD and non-AEAD encryption in one proposal');
  if (aead && spec.integ.length > 0) return fail(`AEAD ${spec.encr[0]!.name} takes no integrity algorithm ('${spec.integ[0]!.name}')`);
  if (!aead && spec.integ.length === 0) return fail(`${spec.encr[0]!.name} needs an integrity algorithm, e.g. 'sha256'`);
  if (protocol === 'ike') {
    if (spec.prf.length === 0) {
      for (const i of spec.integ) {
        const prf = findPrf(PRF_FOR_INTEG[i.id] ?? -1);
        if (prf) pushUnique(spec.prf, prf);
      }
    }
    if (spec.prf.length === 0) return fail(`no PRF, e.g. 'prfsha256'`);
    if (spec.dh.length === 0) return fail(`no key exchange group, e.g. 'x25519'`);
  }
  return { ok: true, value: spec };
}

/** Parses a list of proposal strings (config.ikeProposals / espProposals); stops at the first error. */
export function parseProposals(texts: readonly string[], protocol: ProposalProtocol): Result<ProposalSpec[]> {
  const out: ProposalSpec[] = [];
  for (const t of texts) {
    const r = parseProposal(t, protocol);
    if (!r.ok) return r;
    out.push(r.value);
  }
  if (out.length === 0) return { ok: false, error: `no ${protocol} proposals configured` };
  return { ok: true, value: out };
}

function encrTransform(e: EncrAlgorithm): Transform {
  return e.keyBits === undefined ? { type: TransformType.ENCR, id: e.id } : { type: TransformType.ENCR, id: e.id, keyLength: e.keyBits };
}

/** The SA payload transforms of a proposal (ESP proposals always end with ESN = none). */
export function proposalTransforms(spec: ProposalSpec): Transform[] {
  const out: Transform[] = spec.encr.map(encrTransform);
  for (const p of spec.prf) out.push({ type: TransformType.PRF, id: p.id });
  for (const i of spec.integ) out.push({ type: TransformType.INTEG, id: i.id });
  for (const d of spec.dh) out.push({ type: TransformType.DH, id: d.id });
  if (spec.protocol === 'esp') out.push({ type: TransformType.ESN, id: EsnId.NO });
  return out;
}

/** swanctl-style name of a proposal, e.g. 'aes128gcm16-prfsha256-x25519'. */
export function formatProposal(spec: ProposalSpec): string {
  const words = [...spec.encr.map((e) => e.name), ...spec.integ.map((i) => i.name), ...spec.prf.map((p) => p.name), ...spec.dh.map((d) => d.name)];
  return words.join('-');
}

export function formatIkeSuite(s: IkeSuite): string {
  return [s.encr.name, s.integ?.name, s.prf.name, s.dh.name].filter((w) => w !== undefined).join('-');
}

export function formatEspSuite(s: EspSuite): string {
  return [s.encr.name, s.integ?.name, s.dh?.name].filter((w) => w !== undefined).join('-');
}

/** A readable name for one transform, e.g. 'aes128gcm16', 'prfsha256', 'ENCR#99/128'. */
export function transformName(t: Transform): string {
  switch (t.type) {
    case TransformType.ENCR: {
      const e = findEncr(t.id, t.keyLength);
      if (e) return e.name;
      break;
    }
    case TransformType.PRF: {
      const p = findPrf(t.id);
      if (p) return p.name;
      break;
    }
    case TransformType.INTEG: {
      if (t.id === IntegId.NONE) return 'nointeg';
      const i = findInteg(t.id);
      if (i) return i.name;
      break;
    }
    case TransformType.DH: {
      if (t.id === DhId.NONE) return 'nodh';
      const d = findDhGroup(t.id);
      if (d) return d.name;
      break;
    }
    case TransformType.ESN:
      if (t.id === EsnId.NO) return 'noesn';
      if (t.id === EsnId.YES) return 'esn';
      break;
  }
  const typeName = ['?', 'ENCR', 'PRF', 'INTEG', 'DH', 'ESN'][t.type] ?? `TYPE${t.type}`;
  return `${typeName}#${t.id}${t.keyLength !== undefined ? `/${t.keyLength}` : ''}`;
}

/** Groups a chosen proposal's transforms by type; a responder must pick at most one of each (RFC 7296 3.3.6). */
function onePerType(transforms: readonly Transform[]): Result<Map<number, Transform>> {
  const byType = new Map<number, Transform>();
  for (const t of transforms) {
    if (t.unknownAttribute) return { ok: false, error: `transform ${transformName(t)} carries an unknown attribute` };
    if (byType.has(t.type)) return { ok: false, error: `chosen proposal has more than one transform of type ${t.type}` };
    byType.set(t.type, t);
  }
  return { ok: true, value: byType };
}

function resolveEncr(t: Transform | undefined): Result<EncrAlgorithm> {
  if (!t) return { ok: false, error: 'chosen proposal has no encryption transform' };
  const e = findEncr(t.id, t.keyLength);
  return e ? { ok: true, value: e } : { ok: false, error: `unsupported encryption ${transformName(t)}` };
}

function resolveInteg(t: Transform | undefined, encr: EncrAlgorithm): Result<IntegAlgorithm | undefined> {
  if (encr.aead) {
    if (t && t.id !== IntegId.NONE) return { ok: false, error: `AEAD ${encr.name} chosen together with integrity ${transformName(t)}` };
    return { ok: true, value: undefined };
  }
  if (!t || t.id === IntegId.NONE) return { ok: false, error: `${encr.name} chosen without an integrity algorithm` };
  const i = findInteg(t.id);
  return i ? { ok: true, value: i } : { ok: false, error: `unsupported integrity ${transformName(t)}` };
}

/** One transform per type, and the cipher (ENCR, plus INTEG unless AEAD) both IKE and ESP need. */
function resolveCipher(transforms: readonly Transform[]): Result<{ m: Map<number, Transform>; encr: EncrAlgorithm; integ: IntegAlgorithm | undefined }> {
  const g = onePerType(transforms);
  if (!g.ok) return g;
  const encr = resolveEncr(g.value.get(TransformType.ENCR));
  if (!encr.ok) return encr;
  const integ = resolveInteg(g.value.get(TransformType.INTEG), encr.value);
  if (!integ.ok) return integ;
  return { ok: true, value: { m: g.value, encr: encr.value, integ: integ.value } };
}

/** The IKE suite of a responder's chosen proposal (exactly one ENCR, PRF, DH; INTEG unless AEAD). */
export function ikeSuiteFromTransforms(transforms: readonly Transform[]): Result<IkeSuite> {
  const c = resolveCipher(transforms);
  if (!c.ok) return c;
  const { m, encr, integ } = c.value;
  const prfT = m.get(TransformType.PRF);
  const prf = prfT && findPrf(prfT.id);
  if (!prf) return { ok: false, error: prfT ? `unsupported PRF ${transformName(prfT)}` : 'chosen proposal has no PRF' };
  const dhT = m.get(TransformType.DH);
  const dh = dhT && findDhGroup(dhT.id);
  if (!dh) return { ok: false, error: dhT ? `unsupported key exchange ${transformName(dhT)}` : 'chosen proposal has no key exchange group' };
  if (m.has(TransformType.ESN)) return { ok: false, error: 'IKE proposal carries an ESN transform' };
  return { ok: true, value: { encr, prf, integ, dh } };
}

/** The ESP suite of a responder's chosen proposal. ESN must be absent or 'no'. */
export function espSuiteFromTransforms(transforms: readonly Transform[]): Result<EspSuite> {
  const c = resolveCipher(transforms);
  if (!c.ok) return c;
  const { m, encr, integ } = c.value;
  if (m.has(TransformType.PRF)) return { ok: false, error: 'ESP proposal carries a PRF transform' };
  const dhT = m.get(TransformType.DH);
  let dh: DhGroup | undefined;
  if (dhT && dhT.id !== DhId.NONE) {
    dh = findDhGroup(dhT.id);
    if (!dh) return { ok: false, error: `unsupported key exchange ${transformName(dhT)}` };
  }
  const esn = m.get(TransformType.ESN);
  if (esn && esn.id !== EsnId.NO) return { ok: false, error: `unsupported ${transformName(esn)} (only 32-bit sequence numbers)` };
  return { ok: true, value: { encr, integ, dh } };
}

function offers(spec: ProposalSpec, t: Transform): boolean {
  return proposalTransforms(spec).some((o) => o.type === t.type && o.id === t.id && o.keyLength === t.keyLength);
}

function acceptFrom<S>(offered: readonly ProposalSpec[], chosen: readonly Transform[], build: (t: readonly Transform[]) => Result<S>): Result<S> {
  const suite = build(chosen);
  if (!suite.ok) return suite;
  // Transforms we may not have offered: INTEG NONE with an AEAD and DH NONE without PFS are harmless.
  const relevant = chosen.filter((t) => !((t.type === TransformType.INTEG || t.type === TransformType.DH) && t.id === 0));
  if (!offered.some((spec) => relevant.every((t) => offers(spec, t)))) {
    return { ok: false, error: `responder chose ${chosen.map(transformName).join('-')}, which we did not offer` };
  }
  return suite;
}

/** Checks the responder's choice against what we offered and returns the negotiated IKE suite. */
export function acceptIkeProposal(offered: readonly ProposalSpec[], chosen: readonly Transform[]): Result<IkeSuite> {
  return acceptFrom(offered, chosen, ikeSuiteFromTransforms);
}

/** Checks the responder's choice against what we offered and returns the negotiated ESP suite. */
export function acceptEspProposal(offered: readonly ProposalSpec[], chosen: readonly Transform[]): Result<EspSuite> {
  return acceptFrom(offered, chosen, espSuiteFromTransforms);
}
