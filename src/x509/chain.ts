/**
 * Chain verification (RFC 5280 6.1, the parts a device needs): from the peer's certificate through
 * the intermediates it sent to one of the trust anchors from the config. Every link's signature,
 * each CA's basicConstraints, keyCertSign and path length, the leaf's digitalSignature, and the
 * validity of every certificate on the path when the time is known (`now` undefined: unknown, said
 * in the result, never silently skipped). Revocation (CRL, OCSP) is out of scope: see docs/certificates.md.
 * Signatures are checked by the caller's `verify` (the crypto backend): nothing here is crypto.
 */
import { equalBytes } from '../util/bytes.ts';
import { err, ok, type Result } from '../util/result.ts';
import { KeyUsage, type Certificate, type PublicKey, type SignatureAlgorithm } from './certificate.ts';

/** A chain longer than this is refused: leaf, at most four intermediates. */
export const MAX_CHAIN = 5;

export type SignatureCheck = (alg: SignatureAlgorithm, key: PublicKey, message: Uint8Array, signature: Uint8Array) => boolean;

export type ChainRefusal = 'expired' | 'not-yet-valid' | 'untrusted' | 'bad-signature' | 'not-a-ca' | 'path-length' | 'key-usage' | 'too-long';

export interface ChainError {
  reason: ChainRefusal;
  detail: string;
}

export interface VerifiedChain {
  leaf: Certificate;
  /** The path from the leaf to the anchor, both included. */
  path: Certificate[];
  /** False when `now` was unknown: the validity periods are still to be checked (checkValidity). */
  timeChecked: boolean;
}

export interface ChainInput {
  /** The peer's certificate first, then what it sent besides (in any order). */
  certs: readonly Certificate[];
  anchors: readonly Certificate[];
  /** UTC ms since 1970, or undefined when the device does not know the time yet. */
  now: number | undefined;
  verify: SignatureCheck;
}

const refuse = (reason: ChainRefusal, detail: string): Result<never, ChainError> => err({ reason, detail });

export function verifyChain({ certs, anchors, now, verify }: ChainInput): Result<VerifiedChain, ChainError> {
  const leaf = certs[0];
  if (!leaf) return refuse('untrusted', 'no certificate');
  if (certs.length > MAX_CHAIN) return refuse('too-long', `${certs.length} certificates, at most ${MAX_CHAIN}`);
  if (leaf.keyUsage !== undefined && !(leaf.keyUsage & KeyUsage.digitalSignature)) return refuse('key-usage', 'the peer certificate may not sign (no digitalSignature)');
  const path: Certificate[] = [leaf];
  const unused = certs.slice(1);
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const named = anchors.filter((a) => equalBytes(a.subject, current.issuer));
    const anchor = named.find((a) => verify(current.signatureAlgorithm, a.publicKey, current.tbs, current.signature));
    const issuer = anchor ?? unused.find((c) => equalBytes(c.subject, current.issuer));
    if (!issuer && named.length) return refuse('bad-signature', `${describe(current)} is not signed by the trust anchor that names its issuer`);
    if (!issuer) return refuse('untrusted', `no trust anchor or intermediate issued ${describe(current)}`);
    if (!anchor && !verify(current.signatureAlgorithm, issuer.publicKey, current.tbs, current.signature)) return refuse('bad-signature', `${describe(current)} is not signed by ${describe(issuer)}`);
    // A CA's own constraints bind what it issues below it (the anchor's too, when it states them).
    if (!issuer.ca) return refuse('not-a-ca', `${describe(issuer)} is not a CA`);
    if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KeyUsage.keyCertSign)) return refuse('key-usage', `${describe(issuer)} may not sign certificates`);
    const below = path.length - 1; // intermediates between the issuer and the leaf
    if (issuer.pathLen !== undefined && below > issuer.pathLen) return refuse('path-length', `${describe(issuer)} allows ${issuer.pathLen} CA below it, the chain has ${below}`);
    path.push(issuer);
    if (anchor) {
      if (now !== undefined) {
        const v = checkValidity(path, now);
        if (!v.ok) return v;
      }
      return ok({ leaf, path, timeChecked: now !== undefined });
    }
    unused.splice(unused.indexOf(issuer), 1);
    current = issuer;
  }
  return refuse('too-long', `no trust anchor within ${MAX_CHAIN} certificates`);
}

/** Every certificate of a path within its validity period at `now` (UTC ms). */
export function checkValidity(path: readonly Certificate[], now: number): Result<true, ChainError> {
  for (const c of path) {
    if (now < c.notBefore) return refuse('not-yet-valid', `${describe(c)} is valid from ${c.notBefore / 1000} s (UTC)`);
    if (now > c.notAfter) return refuse('expired', `${describe(c)} expired at ${c.notAfter / 1000} s (UTC)`);
  }
  return ok(true);
}

function describe(c: Certificate): string {
  const cn = c.subjectCn[0];
  return cn === undefined ? 'a certificate without a CN' : `'${cn.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}'`;
}

/** The identity the peer claims, as the config names it (remoteId). */
export type ExpectedIdentity = { type: 'fqdn' | 'email' | 'ipv4'; value: string };

/**
 * Whether the certificate names `id` (RFC 4945 3.1): a SAN of the same kind, exact (FQDNs case
 * insensitive, no wildcards); an FQDN also as the subject's CN, only when the certificate has no SAN.
 */
export function certificateNames(c: Certificate, id: ExpectedIdentity): boolean {
  const san = c.san;
  if (id.type === 'ipv4') return san.ip.includes(id.value);
  if (id.type === 'email') return san.email.some((e) => e.toLowerCase() === id.value.toLowerCase());
  const want = id.value.toLowerCase();
  if (san.dns.length + san.email.length + san.ip.length > 0) return san.dns.some((d) => d.toLowerCase() === want);
  return c.subjectCn.some((cn) => cn.toLowerCase() === want);
}
