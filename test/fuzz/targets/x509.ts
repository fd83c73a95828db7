/**
 * parseCertificate: certificates built here in DER (every key and signature algorithm we read,
 * names, validity, the extensions we act on and unknown ones, critical or not), mutated in their
 * tags and lengths; garbage. Never throws; what it returns lies inside the input.
 */
import { MAX_CERT_BYTES, parseCertificate } from '../../../src/x509/certificate.ts';
import { Oid } from '../../../src/x509/oids.ts';
import { fromHex } from '../../../src/util/bytes.ts';
import { hex, mutate, noise, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';

/** A DER TLV, with the offsets of every header written (tag and length bytes: the fields to mutate). */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const head = length < 0x80 ? [tag, length] : length < 0x100 ? [tag, 0x81, length] : [tag, 0x82, length >> 8, length & 0xff];
  const out = new Uint8Array(head.length + length);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
const oid = (h: string) => tlv(0x06, fromHex(h));
const int = (b: Uint8Array) => tlv(0x02, b);
const bits = (b: Uint8Array) => tlv(0x03, Uint8Array.of(0), b);
const octets = (b: Uint8Array) => tlv(0x04, b);
const text = (s: string) => new TextEncoder().encode(s);

function keyAndAlg(rand: Rand): { spki: Uint8Array; alg: Uint8Array } {
  const rsaKey = () => { const n = rand.bytes(rand.pick([256, 384, 512, 128])); n[0]! |= 0x80; return bits(seq(int(Uint8Array.of(0, ...n)), int(Uint8Array.of(1, 0, 1)))); };
  const hashAlg = (h: string) => seq(oid(h));
  const pss = () => seq(oid(Oid.rsassaPss), seq(tlv(0xa0, hashAlg(Oid.sha256)), tlv(0xa1, seq(oid(Oid.mgf1), hashAlg(rand.pick([Oid.sha256, Oid.sha384])))), tlv(0xa2, int(Uint8Array.of(32)))));
  return rand.pick([
    () => ({ spki: seq(seq(oid(Oid.rsaEncryption), tlv(0x05)), rsaKey()), alg: rand.chance(0.5) ? seq(oid(Oid.sha256WithRsa), tlv(0x05)) : pss() }),
    () => ({ spki: seq(seq(oid(Oid.ecPublicKey), oid(Oid.p256)), bits(Uint8Array.of(4, ...rand.bytes(64)))), alg: seq(oid(Oid.ecdsaSha256)) }),
    () => ({ spki: seq(seq(oid(Oid.ecPublicKey), oid(Oid.p384)), bits(Uint8Array.of(4, ...rand.bytes(96)))), alg: seq(oid(Oid.ecdsaSha384)) }),
    () => ({ spki: seq(seq(oid(Oid.ed25519)), bits(rand.bytes(32))), alg: seq(oid(Oid.ed25519)) }),
  ])();
}

function extension(rand: Rand): Uint8Array {
  const critical = rand.chance(0.3) ? [tlv(0x01, Uint8Array.of(0xff))] : [];
  const [id, value] = rand.pick([
    () => [Oid.basicConstraints, seq(tlv(0x01, Uint8Array.of(0xff)), int(Uint8Array.of(rand.int(3))))],
    () => [Oid.keyUsage, tlv(0x03, Uint8Array.of(rand.int(8)), rand.bytes(1 + rand.int(2)))],
    () => [Oid.subjectAltName, seq(tlv(0x82, text('gw.example.net')), tlv(0x81, text('a@example.net')), tlv(0x87, rand.bytes(4)))],
    () => [Oid.subjectKeyIdentifier, octets(rand.bytes(20))],
    () => ['551d1e', seq(rand.bytes(4))], // nameConstraints: not read
  ] as (() => [string, Uint8Array])[])();
  return seq(oid(id), ...critical, octets(value));
}

function certificate(rand: Rand): Uint8Array {
  const { spki, alg } = keyAndAlg(rand);
  const name = (cn: string) => seq(tlv(0x31, seq(oid('55040a'), tlv(0x0c, text('Lab')))), tlv(0x31, seq(oid(Oid.commonName), tlv(rand.pick([0x0c, 0x13, 0x16]), text(cn)))));
  const time = () => rand.chance(0.7) ? tlv(0x17, text(`${String(rand.int(100)).padStart(2, '0')}0${1 + rand.int(9)}15120000Z`)) : tlv(0x18, text(`20${String(rand.int(100)).padStart(2, '0')}1231235959Z`));
  const exts = Array.from({ length: rand.int(6) }, () => extension(rand));
  const tbs = seq(tlv(0xa0, int(Uint8Array.of(2))), int(rand.bytes(1 + rand.int(20)).map((b, i) => (i === 0 ? b & 0x7f | 1 : b))), alg, name('ca.example.net'), seq(time(), time()), name('gw.example.net'), spki, ...(exts.length ? [tlv(0xa3, seq(...exts))] : []));
  return seq(tbs, alg, bits(rand.bytes(rand.pick([64, 72, 256, 384]))));
}

/** The offsets of every TLV header (tag, first length byte), found by walking the DER as it was built. */
function headers(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const walk = (at: number, end: number, depth: number): void => {
    while (at + 2 <= end && out.length < 200) {
      const tag = b[at]!;
      let len = b[at + 1]!;
      let start = at + 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
        start += n;
      }
      out.push({ at, size: 1 }, { at: at + 1, size: 1 });
      if ((tag & 0x20 || tag === 0x04) && depth < 12) walk(start, Math.min(end, start + len), depth + 1);
      at = start + len;
    }
  };
  walk(0, b.length, 0);
  return out;
}

interface X509Input {
  bytes: Uint8Array;
  from?: Uint8Array;
  outcome?: string;
}

export const x509Parse = fuzzTarget<undefined, X509Input>({
  name: 'x509-parse',
  about: 'parseCertificate: DER certificates of every key/signature kind and extension, mutated in tags and lengths; garbage; never throws, results lie inside the input',
  episode: 1_000_000,
  setup: () => undefined,
  make(rand) {
    if (rand.chance(0.05)) return { bytes: noise(rand, 600, [0x30, 0x82, 0x06, 0x03, 0x04, 0xa0, 0xa3]) };
    const valid = certificate(rand);
    return { bytes: rand.chance(0.1) ? valid : mutate(rand, valid, { fields: headers(valid), maxEdits: 4, maxLength: MAX_CERT_BYTES + 16 }), from: valid };
  },
  feed(_s, input) {
    const r = parseCertificate(input.bytes);
    input.outcome = r.ok ? `parsed ${r.value.publicKey.kind} ${r.value.signatureAlgorithm.kind}` : r.error.replace(/[0-9a-f]{6,}|\d+/g, 'N').slice(0, 40);
    if (r.ok) {
      const inside = (x: Uint8Array) => x.buffer === input.bytes.buffer && x.byteOffset >= input.bytes.byteOffset && x.byteOffset + x.length <= input.bytes.byteOffset + input.bytes.length;
      violated([r.value.tbs, r.value.signature, r.value.issuer, r.value.subject, r.value.spki].every(inside), 'a located field outside the input');
    }
  },
  label: (_s, i) => i.outcome ?? '',
  show: (i) => `${hex(i.bytes)} (${i.from ? `mutated from ${hex(i.from)}` : 'noise'})`,
});
