/**
 * X.509 parsing (src/x509): certificates made here by OpenSSL (RSA PKCS#1 v1.5 and PSS, ECDSA
 * P-256/P-384, Ed25519, a CA with a path length), read as node:crypto's X509Certificate reads
 * them; malformed and refused ones with their reason.
 */
import { execFileSync } from 'node:child_process';
import { constants, verify, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyUsage, MAX_CERT_BYTES, parseCertificate, type Certificate } from '../../src/x509/certificate.ts';
import { derTime, readTlv } from '../../src/x509/der.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-x509-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate by `openssl req -x509`: its DER. */
function make(name: string, keyArgs: string[], extra: string[] = [], sigopts: string[] = []): Uint8Array {
  const key = path.join(dir, `${name}.key`);
  const pem = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', key, '-out', pem, '-subj', `/O=Lab/CN=${name}.example.net`, '-days', '30', ...sigopts, ...extra], { stdio: 'pipe' });
  return new Uint8Array(execFileSync('openssl', ['x509', '-in', pem, '-outform', 'DER']));
}

function parsed(der: Uint8Array): Certificate {
  const r = parseCertificate(der);
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

const SAN = ['-addext', 'subjectAltName=DNS:gw.example.net,DNS:alt.example.net,IP:192.0.2.1,email:ops@example.net'];

const KINDS = [
  { name: 'rsa2048', key: ['-newkey', 'rsa:2048'], sig: [], expect: { kind: 'rsa', bits: 2048 }, alg: { kind: 'rsa-pkcs1', hash: 'sha256' } },
  { name: 'rsa3072-pss', key: ['-newkey', 'rsa:3072'], sig: ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-sha256'], expect: { kind: 'rsa', bits: 3072 }, alg: { kind: 'rsa-pss', hash: 'sha256', saltLength: 32 } },
  { name: 'p256', key: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], sig: [], expect: { kind: 'ecdsa', curve: 'P-256' }, alg: { kind: 'ecdsa', hash: 'sha256' } },
  { name: 'p384', key: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384'], sig: [], expect: { kind: 'ecdsa', curve: 'P-384' }, alg: { kind: 'ecdsa', hash: 'sha384' } },
  { name: 'ed25519', key: ['-newkey', 'ed25519'], sig: [], expect: { kind: 'ed25519' }, alg: { kind: 'ed25519' } },
] as const;

for (const k of KINDS) {
  test(`${k.name}: the fields node:crypto reads, the key and the signature algorithm`, () => {
    const der = make(k.name, [...k.key], [...SAN, '-addext', 'keyUsage=critical,digitalSignature'], [...k.sig]);
    const c = parsed(der);
    const node = new X509Certificate(der);
    assert.equal(c.version, 3);
    assert.deepEqual(c.subjectCn, [`${k.name}.example.net`]);
    assert.equal(c.notBefore, Date.parse(node.validFrom));
    assert.equal(c.notAfter, Date.parse(node.validTo));
    assert.equal(Buffer.from(c.serial).toString('hex').toUpperCase().replace(/^0+/, ''), node.serialNumber.replace(/^0+/, ''));
    assert.deepEqual(c.san, { dns: ['gw.example.net', 'alt.example.net'], email: ['ops@example.net'], ip: ['192.0.2.1'] });
    assert.equal(c.keyUsage, KeyUsage.digitalSignature);
    assert.equal(c.ca, true, 'openssl req -x509 adds basicConstraints CA:TRUE (node.ca also asks keyUsage for keyCertSign)');
    assert.deepEqual(c.signatureAlgorithm, k.alg);
    for (const [key, value] of Object.entries(k.expect)) assert.equal((c.publicKey as unknown as Record<string, unknown>)[key], value);
    assert.deepEqual(Buffer.from(c.spki), node.publicKey.export({ type: 'spki', format: 'der' }));
    // Node's own crypto verifies our signature over our tbs: both are located right.
    const a = c.signatureAlgorithm;
    const key = a.kind === 'rsa-pss' ? { key: node.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.saltLength } : node.publicKey;
    assert.equal(verify(a.kind === 'ed25519' ? null : a.hash, c.tbs, key, c.signature), true);
  });
}

test('a CA: basicConstraints cA and pathLen, keyCertSign', () => {
  const c = parsed(make('ca', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-addext', 'basicConstraints=critical,CA:TRUE,pathlen:1', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']));
  assert.equal(c.ca, true);
  assert.equal(c.pathLen, 1);
  assert.equal(c.keyUsage, KeyUsage.keyCertSign | KeyUsage.cRLSign);
});

test('refused, with a reason: an unknown critical extension, a small RSA key, SHA-1, bytes after, oversize, any cut', () => {
  const critical = make('crit', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-addext', 'nameConstraints=critical,permitted;DNS:example.net']);
  assert.match(String((parseCertificate(critical) as { error: string }).error), /unknown critical extension 551d1e/);
  const small = make('small', ['-newkey', 'rsa:1024']);
  assert.match(String((parseCertificate(small) as { error: string }).error), /RSA key of 1024 bits/);
  const sha1 = make('sha1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha1']);
  assert.match(String((parseCertificate(sha1) as { error: string }).error), /not supported/);
  const good = make('good', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  assert.equal(parseCertificate(Uint8Array.of(...good, 0)).ok, false);
  assert.equal(parseCertificate(new Uint8Array(MAX_CERT_BYTES + 1)).ok, false);
  for (let cut = 0; cut < good.length; cut += 7) assert.equal(parseCertificate(good.subarray(0, cut)).ok, false, `cut at ${cut}`);
});

test('DER: indefinite and non-minimal lengths refused; times per RFC 5280', () => {
  assert.equal(readTlv(Uint8Array.of(0x30, 0x80, 0, 0), 0, 4).ok, false);
  assert.equal(readTlv(Uint8Array.of(0x04, 0x81, 0x01, 0xaa), 0, 4).ok, false);
  assert.equal(readTlv(Uint8Array.of(0x04, 0x82, 0x00, 0x81), 0, 4).ok, false);
  const time = (tag: number, s: string) => derTime(Uint8Array.of(tag, s.length, ...Buffer.from(s)), { tag, at: 0, start: 2, end: 2 + s.length }, 't');
  assert.deepEqual(time(0x17, '491231235959Z'), { ok: true, value: Date.UTC(2049, 11, 31, 23, 59, 59) });
  assert.deepEqual(time(0x17, '500101000000Z'), { ok: true, value: Date.UTC(1950, 0, 1) });
  assert.deepEqual(time(0x18, '20240229120000Z'), { ok: true, value: Date.UTC(2024, 1, 29, 12) });
  assert.equal(time(0x18, '20230229120000Z').ok, false, 'no 29 February in 2023');
  assert.equal(time(0x17, '4912312359Z').ok, false, 'seconds are required');
  assert.equal(time(0x17, '491231235959+0100').ok, false, 'Z only');
});
