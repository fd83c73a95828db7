/**
 * An X.509 v3 certificate (RFC 5280 4.1) parsed from DER: what chain verification and identity
 * checks need, located in the input (no copies). Bounded: at most MAX_CERT_BYTES, a fixed
 * structure walked without recursion, counts of extensions, names and SAN entries capped.
 * Parsing trusts nothing; the signature is checked elsewhere (chain.ts).
 */
import { decodeUtf8 } from '../util/utf8.ts';
import { err, ok, type Result } from '../util/result.ts';
import { bitString, children, content, derTime, expect, explicit, implicit, oidHex, readTlv, smallInteger, Tag, unsignedInteger, whole, type Tlv } from './der.ts';
import { HASH_OF_OID, Oid, type HashName } from './oids.ts';

/** More than any gateway or device certificate we expect (an RSA-4096 one with long SANs is ~2 KB). */
export const MAX_CERT_BYTES = 8192;
const MAX_EXTENSIONS = 24;
const MAX_RDNS = 32;
const MAX_SAN_ENTRIES = 32;

export type PublicKey =
  | { kind: 'rsa'; modulus: Uint8Array; exponent: Uint8Array; bits: number }
  | { kind: 'ecdsa'; curve: 'P-256' | 'P-384'; point: Uint8Array }
  | { kind: 'ed25519'; key: Uint8Array };

export type SignatureAlgorithm =
  | { kind: 'rsa-pkcs1'; hash: HashName }
  | { kind: 'rsa-pss'; hash: HashName; saltLength: number }
  | { kind: 'ecdsa'; hash: HashName }
  | { kind: 'ed25519' };

/** keyUsage bits (RFC 5280 4.2.1.3), bit 0 = digitalSignature. */
export const KeyUsage = Object.freeze({ digitalSignature: 1 << 0, nonRepudiation: 1 << 1, keyEncipherment: 1 << 2, keyCertSign: 1 << 5, cRLSign: 1 << 6 } as const);

export interface Certificate {
  der: Uint8Array;
  /** The signed part, as it is on the wire. */
  tbs: Uint8Array;
  version: number;
  serial: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
  /** The DER of the issuer and subject Names (compared byte for byte, RFC 5280 7.1's simple form). */
  issuer: Uint8Array;
  subject: Uint8Array;
  /** The subject's commonName values. */
  subjectCn: string[];
  notBefore: number;
  notAfter: number;
  publicKey: PublicKey;
  /** The DER of the SubjectPublicKeyInfo (what a gateway's hash-and-URL or a pin would name). */
  spki: Uint8Array;
  ca: boolean;
  pathLen: number | undefined;
  /** undefined: no keyUsage extension (every use allowed). */
  keyUsage: number | undefined;
  san: { dns: string[]; email: string[]; ip: string[] };
}

export function parseCertificate(der: Uint8Array): Result<Certificate> {
  if (der.length > MAX_CERT_BYTES) return err(`certificate of ${der.length} bytes, over ${MAX_CERT_BYTES}`);
  const top = expect(der, 0, der.length, Tag.SEQUENCE, 'Certificate');
  if (!top.ok) return top;
  if (top.value.end !== der.length) return err('Certificate: bytes after it');
  const parts = children(der, top.value, 3, 'Certificate');
  if (!parts.ok) return parts;
  const [tbsT, algT, sigT] = parts.value;
  if (!tbsT || !algT || !sigT || tbsT.tag !== Tag.SEQUENCE || algT.tag !== Tag.SEQUENCE) return err('Certificate: not tbsCertificate, signatureAlgorithm, signatureValue');
  const alg = signatureAlgorithm(der, algT);
  if (!alg.ok) return alg;
  const sig = bitString(der, sigT, 'signatureValue');
  if (!sig.ok) return sig;
  if (sig.value.unused !== 0) return err('signatureValue: not whole bytes');
  const tbs = tbsFields(der, tbsT);
  if (!tbs.ok) return tbs;
  // RFC 5280 4.1.1.2: the signature field inside what is signed names the same algorithm.
  const inner = tbs.value.innerAlg;
  const outer = whole(der, algT);
  if (inner.length !== outer.length || inner.some((b, i) => b !== outer[i])) return err('signature algorithm differs inside and outside tbsCertificate');
  const { innerAlg: _i, ...fields } = tbs.value;
  return ok({ der, tbs: whole(der, tbsT), signatureAlgorithm: alg.value, signature: sig.value.bits, ...fields });
}

type TbsFields = Omit<Certificate, 'der' | 'tbs' | 'signatureAlgorithm' | 'signature'> & { innerAlg: Uint8Array };

function tbsFields(b: Uint8Array, tbsT: Tlv): Result<TbsFields> {
  const f = children(b, tbsT, 10, 'tbsCertificate');
  if (!f.ok) return f;
  const items = f.value;
  let i = 0;
  let version = 1;
  if (items[i]?.tag === explicit(0)) {
    const v = readTlv(b, items[i]!.start, items[i]!.end);
    if (!v.ok) return err(`version: ${v.error}`);
    const n = smallInteger(b, v.value, 'version');
    if (!n.ok) return n;
    version = n.value + 1;
    i++;
  }
  if (version !== 3) return err(`X.509 version ${version}: only v3 certificates carry the extensions we check`);
  const [serialT, algT, issuerT, validityT, subjectT, spkiT] = items.slice(i, i + 6);
  if (!spkiT) return err('tbsCertificate: fields missing');
  const serial = unsignedInteger(b, serialT!, 'serialNumber');
  if (!serial.ok) return serial;
  if (algT!.tag !== Tag.SEQUENCE || issuerT!.tag !== Tag.SEQUENCE || subjectT!.tag !== Tag.SEQUENCE || validityT!.tag !== Tag.SEQUENCE || spkiT.tag !== Tag.SEQUENCE) return err('tbsCertificate: a field of the wrong type');
  const validity = children(b, validityT!, 2, 'validity');
  if (!validity.ok) return validity;
  if (validity.value.length !== 2) return err('validity: not two times');
  const notBefore = derTime(b, validity.value[0]!, 'notBefore');
  if (!notBefore.ok) return notBefore;
  const notAfter = derTime(b, validity.value[1]!, 'notAfter');
  if (!notAfter.ok) return notAfter;
  const cn = commonNames(b, subjectT!);
  if (!cn.ok) return cn;
  const publicKey = subjectPublicKey(b, spkiT);
  if (!publicKey.ok) return publicKey;
  const rest = items.slice(i + 6);
  const extT = rest.find((t) => t.tag === explicit(3));
  if (rest.some((t) => t.tag !== explicit(3) && t.tag !== implicit(1) && t.tag !== implicit(2))) return err('tbsCertificate: unexpected field after the public key');
  const ext = extT ? extensions(b, extT) : ok({ ca: false, pathLen: undefined, keyUsage: undefined, san: { dns: [], email: [], ip: [] } });
  if (!ext.ok) return ext;
  return ok({
    version, serial: serial.value, issuer: whole(b, issuerT!), subject: whole(b, subjectT!), subjectCn: cn.value,
    notBefore: notBefore.value, notAfter: notAfter.value, publicKey: publicKey.value, spki: whole(b, spkiT), ...ext.value, innerAlg: whole(b, algT!),
  });
}

function algorithmParts(b: Uint8Array, t: Tlv, what: string): Result<{ oid: string; params: Tlv | undefined }> {
  const parts = children(b, t, 2, what);
  if (!parts.ok) return parts;
  const [oidT, params] = parts.value;
  if (!oidT) return err(`${what}: empty`);
  const oid = oidHex(b, oidT, what);
  if (!oid.ok) return oid;
  return ok({ oid: oid.value, params });
}

const absentOrNull = (p: Tlv | undefined): boolean => p === undefined || (p.tag === Tag.NULL && p.end === p.start);

/** An AlgorithmIdentifier on its own (RFC 7427's AUTH payload carries one): the whole of `der`. */
export function parseSignatureAlgorithm(der: Uint8Array): Result<SignatureAlgorithm> {
  const t = expect(der, 0, der.length, Tag.SEQUENCE, 'AlgorithmIdentifier');
  if (!t.ok) return t;
  if (t.value.end !== der.length) return err('AlgorithmIdentifier: bytes after it');
  return signatureAlgorithm(der, t.value);
}

function signatureAlgorithm(b: Uint8Array, t: Tlv): Result<SignatureAlgorithm> {
  const a = algorithmParts(b, t, 'signatureAlgorithm');
  if (!a.ok) return a;
  const { oid, params } = a.value;
  const pkcs1: Record<string, HashName> = { [Oid.sha256WithRsa]: 'sha256', [Oid.sha384WithRsa]: 'sha384', [Oid.sha512WithRsa]: 'sha512' };
  const ecdsa: Record<string, HashName> = { [Oid.ecdsaSha256]: 'sha256', [Oid.ecdsaSha384]: 'sha384', [Oid.ecdsaSha512]: 'sha512' };
  if (pkcs1[oid]) return absentOrNull(params) ? ok({ kind: 'rsa-pkcs1', hash: pkcs1[oid] }) : err('RSA PKCS#1 signature with parameters');
  if (ecdsa[oid]) return params === undefined ? ok({ kind: 'ecdsa', hash: ecdsa[oid] }) : err('ECDSA signature with parameters');
  if (oid === Oid.ed25519) return params === undefined ? ok({ kind: 'ed25519' }) : err('Ed25519 signature with parameters');
  if (oid === Oid.rsassaPss) return pssParams(b, params);
  return err(`signature algorithm ${oid} not supported (SHA-1 and MD5 ones are refused)`);
}

/** RSASSA-PSS-params (RFC 4055 3.1): the hash, MGF1 with the same hash, the salt length, trailer 1. SHA-1 defaults are refused. */
function pssParams(b: Uint8Array, params: Tlv | undefined): Result<SignatureAlgorithm> {
  if (!params || params.tag !== Tag.SEQUENCE) return err('RSASSA-PSS without parameters (SHA-1 defaults are refused)');
  const fields = children(b, params, 4, 'RSASSA-PSS-params');
  if (!fields.ok) return fields;
  let hash: HashName | undefined;
  let mgfHash: HashName | undefined;
  let saltLength = 20;
  for (const f of fields.value) {
    const inner = readTlv(b, f.start, f.end);
    if (!inner.ok) return err(`RSASSA-PSS-params: ${inner.error}`);
    if (f.tag === explicit(0)) {
      const h = algorithmParts(b, inner.value, 'PSS hash');
      if (!h.ok) return h;
      hash = HASH_OF_OID[h.value.oid];
    } else if (f.tag === explicit(1)) {
      const m = algorithmParts(b, inner.value, 'PSS mask generation');
      if (!m.ok) return m;
      if (m.value.oid !== Oid.mgf1 || !m.value.params || m.value.params.tag !== Tag.SEQUENCE) return err('PSS mask generation is not MGF1');
      const h = algorithmParts(b, m.value.params, 'MGF1 hash');
      if (!h.ok) return h;
      mgfHash = HASH_OF_OID[h.value.oid];
    } else if (f.tag === explicit(2)) {
      const n = smallInteger(b, inner.value, 'PSS salt length');
      if (!n.ok) return n;
      saltLength = n.value;
    } else if (f.tag === explicit(3)) {
      const n = smallInteger(b, inner.value, 'PSS trailer field');
      if (!n.ok) return n;
      if (n.value !== 1) return err('PSS trailer field is not 1');
    } else return err('RSASSA-PSS-params: unknown field');
  }
  if (!hash || hash !== mgfHash) return err('PSS with SHA-1, or with MGF1 over another hash');
  return ok({ kind: 'rsa-pss', hash, saltLength });
}

/** A SubjectPublicKeyInfo on its own (the whole of `der`). */
export function parsePublicKeyInfo(der: Uint8Array): Result<PublicKey> {
  const t = expect(der, 0, der.length, Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  if (!t.ok) return t;
  if (t.value.end !== der.length) return err('SubjectPublicKeyInfo: bytes after it');
  return subjectPublicKey(der, t.value);
}

function subjectPublicKey(b: Uint8Array, spkiT: Tlv): Result<PublicKey> {
  const parts = children(b, spkiT, 2, 'SubjectPublicKeyInfo');
  if (!parts.ok) return parts;
  const [algT, keyT] = parts.value;
  if (!algT || !keyT || algT.tag !== Tag.SEQUENCE) return err('SubjectPublicKeyInfo: not an algorithm and a key');
  const a = algorithmParts(b, algT, 'public key algorithm');
  if (!a.ok) return a;
  const key = bitString(b, keyT, 'subjectPublicKey');
  if (!key.ok) return key;
  if (key.value.unused !== 0) return err('subjectPublicKey: not whole bytes');
  const bits = key.value.bits;
  const { oid, params } = a.value;
  if (oid === Oid.rsaEncryption) {
    if (!absentOrNull(params)) return err('RSA key with parameters');
    return rsaKey(bits);
  }
  if (oid === Oid.ecPublicKey) {
    const curveOid = params && oidHex(b, params, 'EC curve');
    if (!curveOid?.ok) return err('EC key without a named curve');
    const curve = curveOid.value === Oid.p256 ? 'P-256' : curveOid.value === Oid.p384 ? 'P-384' : undefined;
    if (!curve) return err(`EC curve ${curveOid.value} not supported`);
    const size = curve === 'P-256' ? 32 : 48;
    // Uncompressed points only: what CAs issue (RFC 5480 2.2).
    if (bits.length !== 1 + 2 * size || bits[0] !== 0x04) return err(`${curve} key is not an uncompressed point`);
    return ok({ kind: 'ecdsa', curve, point: bits });
  }
  if (oid === Oid.ed25519) {
    if (params !== undefined || bits.length !== 32) return err('Ed25519 key malformed');
    return ok({ kind: 'ed25519', key: bits });
  }
  return err(`public key algorithm ${oid} not supported`);
}

function rsaKey(bytes: Uint8Array): Result<PublicKey> {
  const seq = expect(bytes, 0, bytes.length, Tag.SEQUENCE, 'RSAPublicKey');
  if (!seq.ok) return seq;
  const parts = children(bytes, seq.value, 2, 'RSAPublicKey');
  if (!parts.ok) return parts;
  const [nT, eT] = parts.value;
  if (!nT || !eT) return err('RSAPublicKey: not a modulus and an exponent');
  const n = unsignedInteger(bytes, nT, 'RSA modulus');
  if (!n.ok) return n;
  const e = unsignedInteger(bytes, eT, 'RSA exponent');
  if (!e.ok) return e;
  const bits = n.value.length * 8 - Math.clz32(n.value[0]!) + 24;
  if (bits < 2048 || bits > 4096) return err(`RSA key of ${bits} bits (2048–4096 accepted)`);
  if (e.value.length > 4 || !(e.value[e.value.length - 1]! & 1) || (e.value.length === 1 && e.value[0]! < 3)) return err('RSA exponent not an odd number of at most 32 bits');
  return ok({ kind: 'rsa', modulus: n.value, exponent: e.value, bits });
}

/** The commonName values of a Name (RFC 5280 4.1.2.4: a SEQUENCE of SETs of type-value pairs). */
function commonNames(b: Uint8Array, nameT: Tlv): Result<string[]> {
  const rdns = children(b, nameT, MAX_RDNS, 'Name');
  if (!rdns.ok) return rdns;
  const out: string[] = [];
  for (const rdn of rdns.value) {
    if (rdn.tag !== Tag.SET) return err('Name: an RDN that is not a SET');
    const atvs = children(b, rdn, 4, 'RDN');
    if (!atvs.ok) return atvs;
    for (const atv of atvs.value) {
      const a = algorithmParts(b, atv, 'AttributeTypeAndValue');
      if (!a.ok) return a;
      if (a.value.oid !== Oid.commonName) continue;
      const s = a.value.params && directoryString(b, a.value.params);
      if (!s?.ok) return err('commonName: not a string');
      out.push(s.value);
    }
  }
  return ok(out);
}

function directoryString(b: Uint8Array, t: Tlv): Result<string> {
  if (t.tag !== Tag.UTF8_STRING && t.tag !== Tag.PRINTABLE_STRING && t.tag !== Tag.IA5_STRING) return err('not a UTF8, Printable or IA5 string');
  const s = decodeUtf8(content(b, t));
  return s.ok ? s : err('bad UTF-8');
}

type Extensions = Pick<Certificate, 'ca' | 'pathLen' | 'keyUsage' | 'san'>;

/** The extensions we act on; an unknown critical one refuses the certificate (RFC 5280 4.2). */
function extensions(b: Uint8Array, wrapper: Tlv): Result<Extensions> {
  const seq = readTlv(b, wrapper.start, wrapper.end);
  if (!seq.ok || seq.value.tag !== Tag.SEQUENCE) return err('extensions: not a SEQUENCE');
  const list = children(b, seq.value, MAX_EXTENSIONS, 'extensions');
  if (!list.ok) return list;
  const out: Extensions = { ca: false, pathLen: undefined, keyUsage: undefined, san: { dns: [], email: [], ip: [] } };
  const seen = new Set<string>();
  for (const e of list.value) {
    if (e.tag !== Tag.SEQUENCE) return err('extension: not a SEQUENCE');
    const parts = children(b, e, 3, 'extension');
    if (!parts.ok) return parts;
    const [oidT, second, third] = parts.value;
    if (!oidT || !second) return err('extension: too short');
    const oid = oidHex(b, oidT, 'extnID');
    if (!oid.ok) return oid;
    if (seen.has(oid.value)) return err(`extension ${oid.value} twice`);
    seen.add(oid.value);
    let critical = false;
    let valueT = second;
    if (second.tag === Tag.BOOLEAN) {
      if (!third || second.end - second.start !== 1 || b[second.start] !== 0xff) return err('extension: critical flag not DER TRUE');
      critical = true;
      valueT = third;
    }
    if (valueT.tag !== Tag.OCTET_STRING) return err('extnValue: not an OCTET STRING');
    const value = content(b, valueT);
    const r = applyExtension(oid.value, value, out);
    if (!r.ok) return r;
    if (!r.value && critical) return err(`unknown critical extension ${oid.value}`);
  }
  return ok(out);
}

/** ok(true) when the extension is one we read. */
function applyExtension(oid: string, v: Uint8Array, out: Extensions): Result<boolean> {
  const top = readTlv(v, 0, v.length);
  if (!top.ok) return err(`extension ${oid}: ${top.error}`);
  if (top.value.end !== v.length) return err(`extension ${oid}: bytes after its value`);
  const t = top.value;
  switch (oid) {
    case Oid.basicConstraints: {
      if (t.tag !== Tag.SEQUENCE) return err('basicConstraints: not a SEQUENCE');
      const f = children(v, t, 2, 'basicConstraints');
      if (!f.ok) return f;
      for (const x of f.value) {
        if (x.tag === Tag.BOOLEAN) out.ca = x.end - x.start === 1 && v[x.start] === 0xff;
        else {
          const n = smallInteger(v, x, 'pathLenConstraint');
          if (!n.ok) return n;
          out.pathLen = n.value;
        }
      }
      return ok(true);
    }
    case Oid.keyUsage: {
      const bits = bitString(v, t, 'keyUsage');
      if (!bits.ok) return bits;
      let mask = 0;
      // Bit 0 is the high bit of the first byte.
      bits.value.bits.subarray(0, 2).forEach((byte, i) => {
        for (let k = 0; k < 8; k++) if (byte & (0x80 >> k)) mask |= 1 << (i * 8 + k);
      });
      out.keyUsage = mask;
      return ok(true);
    }
    case Oid.subjectAltName: {
      if (t.tag !== Tag.SEQUENCE) return err('subjectAltName: not a SEQUENCE');
      const names = children(v, t, MAX_SAN_ENTRIES, 'subjectAltName');
      if (!names.ok) return names;
      for (const n of names.value) {
        const bytes = content(v, n);
        if (n.tag === implicit(2) || n.tag === implicit(1)) {
          const s = decodeUtf8(bytes);
          if (!s.ok) return err('subjectAltName: a name that is not text');
          (n.tag === implicit(2) ? out.san.dns : out.san.email).push(s.value);
        } else if (n.tag === implicit(7) && bytes.length === 4) out.san.ip.push(bytes.join('.'));
      }
      return ok(true);
    }
    case Oid.extKeyUsage:
    case Oid.subjectKeyIdentifier:
    case Oid.authorityKeyIdentifier:
      return ok(true);
    default:
      return ok(false);
  }
}
