/**
 * SA payload proposals from the configured swanctl strings, and the checks on what the
 * responder chose (RFC 7296 2.7, 3.3.6): one proposal, a number we sent, transforms we offered.
 */
import {
  acceptEspProposal, acceptIkeProposal, formatProposal, parseProposals, proposalTransforms,
  type DhGroup, type EspSuite, type IkeSuite, type ProposalSpec, type Result,
} from '../crypto/index.ts';
import { readU32 } from '../util/bytes.ts';
import { ProtocolId, proposals, type PayloadOf, type Proposal } from './codec/index.ts';

export interface OfferedProposals {
  ike: ProposalSpec[];
  /** Without DH groups: the CHILD SA of IKE_AUTH never does PFS (RFC 7296 1.2). */
  esp: ProposalSpec[];
  /** The DH groups of espProposals, in order: CHILD SA rekeys use them for PFS (none: no PFS). */
  pfsGroups: DhGroup[];
}

export function parseConfiguredProposals(ike: readonly string[], esp: readonly string[]): Result<OfferedProposals> {
  const i = parseProposals(ike, 'ike');
  if (!i.ok) return i;
  const e = parseProposals(esp, 'esp');
  if (!e.ok) return e;
  const pfsGroups = e.value.flatMap((s) => s.dh).filter((g, i, all) => all.findIndex((x) => x.id === g.id) === i);
  return { ok: true, value: { ike: i.value, esp: e.value.map((s) => ({ ...s, dh: [] })), pfsGroups } };
}

/** The group of our first KE: the first group of the first proposal. */
export function preferredGroup(offered: readonly ProposalSpec[]): DhGroup {
  return offered[0]!.dh[0]!;
}

/** The group the responder asked for in INVALID_KE_PAYLOAD, if any proposal of ours contains it. */
export function offeredGroup(offered: readonly ProposalSpec[], groupId: number): DhGroup | undefined {
  for (const spec of offered) for (const g of spec.dh) if (g.id === groupId) return g;
  return undefined;
}

/** Groups below 2048 bits and the RFC 5114 ones (Azure's default is group 2): ikelet does not offer them (RFC 8247 2.4). */
const WEAK_GROUP_IDS: readonly number[] = Object.freeze([1, 2, 5, 22, 23, 24]);
const WHAT_TO_SET = "set the gateway's DH group to modp2048 (14), ecp256 (19) or ecp384 (20), see docs/gateways.md";

/** What a user can do when the gateway asks for a group ikeProposals lack ('' when it is one they could add). */
export function unofferedGroupHint(groupId: number): string {
  return WEAK_GROUP_IDS.includes(groupId) ? ` (group ${groupId} is too weak and not offered, RFC 8247 2.4): ${WHAT_TO_SET}` : '';
}

/** The NO_PROPOSAL_CHOSEN of IKE_SA_INIT, explained: what we offered and what to set. */
export function noCommonProposalHint(offered: readonly ProposalSpec[]): string {
  return `: it takes none of ikeProposals (${offered.map(formatProposal).join(', ')}); add the gateway's suite to ikeProposals, or, if it only offers MODP below 2048 bits (not offered, RFC 8247), ${WHAT_TO_SET}`;
}

/** IKE proposals: no SPI in IKE_SA_INIT, the new 8-byte SPI when rekeying (RFC 7296 3.3.1). */
export function ikeProposals(offered: readonly ProposalSpec[], spi: Uint8Array = new Uint8Array(0)): Proposal[] {
  return proposals(ProtocolId.IKE, spi, offered.map(proposalTransforms));
}

/** A rekey offers exactly what is in use (RFC 7296 2.18 / 1.3.3 allow any; keeping it avoids surprises). */
export function ikeSuiteSpec(s: IkeSuite): ProposalSpec {
  return { protocol: 'ike', encr: [s.encr], prf: [s.prf], integ: s.integ ? [s.integ] : [], dh: [s.dh] };
}

/** `pfs`: the group of a rekey's key exchange, if any. */
export function espSuiteSpec(s: EspSuite, pfs?: DhGroup): ProposalSpec {
  return { protocol: 'esp', encr: [s.encr], prf: [], integ: s.integ ? [s.integ] : [], dh: pfs ? [pfs] : [] };
}

export function espProposals(offered: readonly ProposalSpec[], spi: Uint8Array): Proposal[] {
  return proposals(ProtocolId.ESP, spi, offered.map(proposalTransforms));
}

/** The one proposal the responder chose, checked against the one we sent under that number. */
function chosenProposal(offered: readonly ProposalSpec[], sa: PayloadOf<'SA'> | undefined, protocolId: number, spiLength: number): Result<{ spec: ProposalSpec; proposal: Proposal }> {
  if (!sa) return { ok: false, error: 'no SA payload in the response' };
  if (sa.proposals.length !== 1) return { ok: false, error: `responder returned ${sa.proposals.length} proposals instead of one` };
  const proposal = sa.proposals[0]!;
  const spec = offered[proposal.number - 1];
  if (!spec) return { ok: false, error: `responder chose proposal #${proposal.number}, which we did not send` };
  if (proposal.protocolId !== protocolId) return { ok: false, error: `responder chose protocol ${proposal.protocolId}, expected ${protocolId}` };
  if (proposal.spi.length !== spiLength) return { ok: false, error: `responder's proposal has a ${proposal.spi.length}-byte SPI, expected ${spiLength}` };
  return { ok: true, value: { spec, proposal } };
}

/** `spiLength`: 0 in IKE_SA_INIT, 8 when rekeying; the SPI is returned with the suite. */
export function acceptIkeChoice(offered: readonly ProposalSpec[], sa: PayloadOf<'SA'> | undefined, spiLength = 0): Result<IkeSuite & { spi: Uint8Array }> {
  const c = chosenProposal(offered, sa, ProtocolId.IKE, spiLength);
  if (!c.ok) return c;
  const suite = acceptIkeProposal([c.value.spec], c.value.proposal.transforms);
  return suite.ok ? { ok: true, value: { ...suite.value, spi: c.value.proposal.spi.slice() } } : suite;
}

export function acceptEspChoice(offered: readonly ProposalSpec[], sa: PayloadOf<'SA'> | undefined): Result<{ suite: EspSuite; spi: Uint8Array }> {
  const c = chosenProposal(offered, sa, ProtocolId.ESP, 4);
  if (!c.ok) return c;
  const suite = acceptEspProposal([c.value.spec], c.value.proposal.transforms);
  if (!suite.ok) return suite;
  const dh = suite.value.dh;
  if (dh && !c.value.spec.dh.some((g) => g.id === dh.id)) return { ok: false, error: `responder chose PFS group ${dh.name}, which we did not offer` };
  // RFC 4303 2.1: SPIs 1-255 are reserved by IANA and 0 is for local use; a gateway must not pick them.
  if (readU32(c.value.proposal.spi, 0) < 256) return { ok: false, error: `responder's ESP SPI ${readU32(c.value.proposal.spi, 0)} is reserved (0-255)` };
  return { ok: true, value: { suite: suite.value, spi: c.value.proposal.spi } };
}
