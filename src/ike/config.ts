/**
 * IKE's share of the manifest config: who talks to whom, proposals, lifetimes, liveness.
 * Durations are written in seconds (as in swanctl.conf) and reach the IKE layer in ms,
 * the gateway as address bytes, identities and selectors parsed, proposals resolved.
 */
import { bool, intIn, isInt, listOf } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';
import { parseProposal } from '../crypto/suites.ts';
import { parseIpv4, utf8 } from '../util/bytes.ts';
import { identityFromString, type Identity } from './identity.ts';
import { parseConfiguredProposals, type OfferedProposals } from './proposals.ts';
import type { RetransmitPolicy } from './retransmit.ts';
import { selectorFromCidr, type Ipv4Selector } from './traffic-selectors.ts';

export interface IkeManifest {
  gateway: string; // IPv4 address of the VPN gateway
  localId: string; // IDi (FQDN, email or IPv4 literal)
  remoteId: string; // the gateway's expected identity
  sendRemoteId: boolean; // also send it as IDr (a gateway with several identities needs it)
  psk: string;
  ikeProposals: string[];
  espProposals: string[];
  ikeLifetime: number; // s
  childLifetime: number; // s
  childRekeyBytes: number; // rekey the CHILD SA after this many bytes, in and out together, 0 = off
  childRekeyPackets: number; // ... or packets, in and out together, 0 = off
  dpdInterval: number; // s: liveness check when traffic we sent went unanswered this long, 0 = off
  dpdIdle: number; // s: liveness check after this long without anything from the gateway, 0 = off
  natKeepalive: number; // s between NAT-T keepalives on an otherwise silent line, 0 = off
  linkLossHold: number; // s an IKE SA is kept after a carrier loss, for the next link to move it (MOBIKE), 0 = always a new IKE SA
  remoteTs: string[];
  ikeRetransmitTimeout: number; // s before the first retransmission; the wait doubles after each
  ikeRetransmitTries: number; // transmissions of a request, the first included, before giving up on it
}

export interface IkeSettings {
  gateway: string;
  gatewayBytes: Uint8Array;
  localId: Identity;
  remoteId: Identity;
  sendRemoteId: boolean;
  psk: Uint8Array;
  proposals: OfferedProposals;
  ikeLifetimeMs: number;
  childLifetimeMs: number;
  childRekeyBytes: number;
  childRekeyPackets: number;
  dpdIntervalMs: number;
  dpdIdleMs: number;
  natKeepaliveMs: number;
  linkLossHoldMs: number;
  remoteTs: Ipv4Selector[];
  retransmit: RetransmitPolicy;
}

const FQDN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function identity(v: unknown): string | undefined {
  const form = 'an IKE identity: an FQDN (device1.example.com), an email (dev@example.com) or an IPv4 literal';
  if (typeof v !== 'string' || v === '') return form;
  if (parseIpv4(v)) return undefined;
  const at = v.lastIndexOf('@');
  if (at > 0) return FQDN.test(v.slice(at + 1)) && !/\s/.test(v.slice(0, at)) ? undefined : form;
  return FQDN.test(v) && !/^[\d.]+$/.test(v) ? undefined : form;
}

function proposals(v: unknown, key: string, protocol: 'ike' | 'esp', example: string): string[] {
  return listOf(v, key, `swanctl proposals like '${example}'`, (s) => {
    const r = parseProposal(s, protocol);
    return r.ok ? undefined : `expected a swanctl ${protocol.toUpperCase()} proposal like '${example}': ${r.error}`;
  });
}

/** Shorter PSKs are refused: IKEv2 PSK authentication can be attacked offline by whoever answers IKE_SA_INIT. */
export const PSK_MIN = 20;
export const PSK_WARN = 32;

/** 'a.b.c.d/n' with no host bits set (a route, not an address). */
export function parseRoute(text: string): Ipv4Selector | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m || !parseIpv4(m[1]!) || Number(m[2]) > 32) return undefined;
  const s = selectorFromCidr(text);
  return s && s.start === ipv4Number(parseIpv4(m[1]!)!) ? s : undefined;
}

const ipv4Number = (b: Uint8Array): number => ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;

/**
 * Defaults that reach the gateways users have (docs/gateways.md): strongSwan's defaults, AWS S2S
 * (no x25519), Azure custom policies (ECP256/384, SHA-256/384) and group-14-only boxes. x25519 is
 * the first KE guess; a gateway without it answers INVALID_KE_PAYLOAD with its group and the
 * device resends once (RFC 7296 1.2). One KE payload either way.
 */
const DEFAULT_IKE_PROPOSALS = [
  'aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-ecp384-modp2048',
  'aes128-aes256-sha256-sha384-x25519-ecp256-ecp384-modp2048',
];
const DEFAULT_ESP_PROPOSALS = ['aes128gcm16-aes256gcm16', 'aes128-aes256-sha256-sha384'];
/** swanctl words RFC 8247 keeps only for interoperability: a configuration naming one is warned. */
const LEGACY_WORDS: ReadonlyMap<string, string> = new Map([['sha1', 'HMAC-SHA1-96'], ['prfsha1', 'PRF-HMAC-SHA1']]);

export const ikeSection: ConfigSection<IkeManifest, IkeSettings> = {
  defaults: {
    sendRemoteId: false,
    ikeProposals: DEFAULT_IKE_PROPOSALS,
    espProposals: DEFAULT_ESP_PROPOSALS,
    ikeLifetime: 14400,
    childLifetime: 3600,
    childRekeyBytes: 0,
    childRekeyPackets: 0,
    dpdInterval: 30,
    dpdIdle: 3600,
    natKeepalive: 20,
    // Under a strongSwan gateway's give-up on a silent peer: dpd_delay 30 s + 165 s of retransmissions (its defaults).
    linkLossHold: 180,
    remoteTs: ['0.0.0.0/0'],
    ikeRetransmitTimeout: 1,
    ikeRetransmitTries: 5,
  },
  required: ['gateway', 'localId', 'remoteId', 'psk'],
  secrets: ['psk'],
  checks: {
    gateway: (v) => (typeof v === 'string' && parseIpv4(v) ? undefined : 'an IPv4 literal such as 203.0.113.10'),
    localId: identity,
    remoteId: identity,
    sendRemoteId: bool,
    psk: (v) => (typeof v === 'string' && utf8(v).length >= PSK_MIN && utf8(v).length <= 256 ? undefined : `a pre-shared key string of ${PSK_MIN}..256 bytes in UTF-8 (whoever answers IKE_SA_INIT can try to guess a weak one offline)`),
    ikeProposals: (v, key) => proposals(v, key, 'ike', 'aes128gcm16-prfsha256-x25519'),
    espProposals: (v, key) => proposals(v, key, 'esp', 'aes128gcm16'),
    ikeLifetime: (v) => intIn(v, 10, 604800, ' seconds'),
    childLifetime: (v) => intIn(v, 10, 604800, ' seconds'),
    childRekeyBytes: (v) => (isInt(v) && v >= 0 && v <= 2 ** 50 ? (v === 0 || v >= 65536 ? undefined : '0 (off) or at least 65536 bytes') : '0 (off) or a byte count'),
    childRekeyPackets: (v) => (isInt(v) && v >= 0 && v <= 0xf0000000 ? (v === 0 || v >= 1000 ? undefined : '0 (off) or at least 1000 packets') : `0 (off) or a packet count up to ${0xf0000000}`),
    dpdInterval: (v) => intIn(v, 0, 3600, ' seconds, 0 = off'),
    dpdIdle: (v) => intIn(v, 0, 86400, ' seconds, 0 = off'),
    natKeepalive: (v) => intIn(v, 0, 3600, ' seconds, 0 = off'),
    linkLossHold: (v) => intIn(v, 0, 86400, ' seconds, 0 = off'),
    remoteTs: (v, key) => listOf(v, key, "IPv4 CIDRs like '198.51.100.0/24'", (s) => (parseRoute(s) ? undefined : "expected an IPv4 CIDR like '198.51.100.0/24' with no host bits set")),
    ikeRetransmitTimeout: (v) => intIn(v, 1, 30, ' seconds'),
    ikeRetransmitTries: (v) => intIn(v, 1, 10),
  },
  cross: (r, issues) => {
    for (const key of ['ikeLifetime', 'childLifetime'] as const) {
      if (r[key] < 300) issues.warn(`config.${key}: ${r[key]} s; each rekey costs bytes on a metered link (hours are usual)`);
    }
    for (const key of ['ikeProposals', 'espProposals'] as const) {
      for (const word of new Set(r[key].flatMap((p) => p.toLowerCase().split('-')))) {
        const legacy = LEGACY_WORDS.get(word);
        if (legacy) issues.warn(`config.${key}: '${word}' (${legacy}) is legacy (RFC 8247: SHA-1 is kept for interoperability only); ask the gateway for sha256 / prfsha256 or an AEAD like aes256gcm16`);
      }
    }
    if (utf8(r.psk).length < PSK_WARN) issues.warn(`config.psk: ${utf8(r.psk).length} bytes; use ${PSK_WARN} or more random characters (whoever answers IKE_SA_INIT can try to guess a PSK offline)`);
  },
  parse: (r) => {
    const proposals = parseConfiguredProposals(r.ikeProposals, r.espProposals);
    if (!proposals.ok) throw new Error(`config: ${proposals.error}`); // the checks above already passed every proposal
    return {
      gateway: r.gateway,
      gatewayBytes: parseIpv4(r.gateway)!,
      localId: identityFromString(r.localId),
      remoteId: identityFromString(r.remoteId),
      sendRemoteId: r.sendRemoteId,
      psk: utf8(r.psk),
      proposals: proposals.value,
      ikeLifetimeMs: r.ikeLifetime * 1000,
      childLifetimeMs: r.childLifetime * 1000,
      childRekeyBytes: r.childRekeyBytes,
      childRekeyPackets: r.childRekeyPackets,
      dpdIntervalMs: r.dpdInterval * 1000,
      dpdIdleMs: r.dpdIdle * 1000,
      natKeepaliveMs: r.natKeepalive * 1000,
      linkLossHoldMs: r.linkLossHold * 1000,
      remoteTs: r.remoteTs.map((s) => parseRoute(s)!),
      retransmit: { firstTimeoutMs: r.ikeRetransmitTimeout * 1000, tries: r.ikeRetransmitTries, factor: 2 },
    };
  },
};
