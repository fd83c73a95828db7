/**
 * Chain verification (src/x509/chain.ts) on chains OpenSSL makes here: a root CA (ECDSA P-256), an
 * intermediate (RSA-2048, pathlen 0), gateway certificates (ECDSA P-256 / RSA-PSS) with SANs. Each
 * bad case is refused with its named reason. Signatures are checked with node:crypto here; the
 * agent takes them from its crypto backend.
 */
import { execFileSync } from 'node:child_process';
import { constants, createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCertificate, type Certificate } from '../../src/x509/certificate.ts';
import { checkSignature } from '../../src/x509/verify.ts';
import { certificateNames, verifyChain, type ChainInput, type SignatureCheck } from '../../src/x509/chain.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-chain-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
const RSA = ['-newkey', 'rsa:2048'];

/** A certificate for `name`, self-signed or signed by `issuer`, with extensions `ext` (openssl x509v3 config lines). */
function cert(name: string, key: string[], ext: string[], issuer?: string, sigopt: string[] = []): Certificate {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext.join('\n') + '\n');
  if (!issuer) {
    // OpenSSL's default req config marks a self-signed certificate CA:TRUE.
    ossl('req', '-x509', ...key, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/O=Lab/CN=${name}`, '-days', '30', ...ext.flatMap((e) => ['-addext', e]));
  } else {
    ossl('req', '-new', ...key, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=Lab/CN=${name}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', '30', '-extfile', `${name}.ext`, ...sigopt, '-out', `${name}.pem`);
  }
  const r = parseCertificate(new Uint8Array(ossl('x509', '-in', `${name}.pem`, '-outform', 'DER')));
  if (!r.ok) assert.fail(`${name}: ${r.error}`);
  return r.value;
}

/** node:crypto over the parsed key: the SPKI the key came from. */
function verifier(byKey: Map<unknown, Uint8Array>): SignatureCheck {
  return (alg, key, message, signature) => {
    const spki = byKey.get(key);
    if (!spki) return false;
    if ((alg.kind === 'ecdsa') !== (key.kind === 'ecdsa') || (alg.kind === 'ed25519') !== (key.kind === 'ed25519')) return false;
    const k = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (alg.kind === 'ed25519') return verify(null, message, k, signature);
    if (alg.kind === 'rsa-pss') return verify(alg.hash, message, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength }, signature);
    return verify(alg.hash, message, k, signature);
  };
}

const CA_EXT = ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign'];
const root = cert('root', EC, ['keyUsage=critical,keyCertSign,cRLSign']);
const inter = cert('inter', RSA, CA_EXT, 'root');
const gw = cert('gw', EC, ['subjectAltName=DNS:gateway.example.net', 'keyUsage=critical,digitalSignature'], 'inter');
const gwPss = cert('gw-pss', RSA, ['subjectAltName=DNS:gateway.example.net'], 'inter', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']);
const direct = cert('direct', RSA, ['subjectAltName=DNS:gateway.example.net,IP:192.0.2.1'], 'root');
const notCa = cert('notca', EC, ['basicConstraints=CA:FALSE'], 'root');
const underNotCa = cert('under-notca', EC, ['subjectAltName=DNS:gateway.example.net'], 'notca');
const inter2 = cert('inter2', EC, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign'], 'inter');
const tooDeep = cert('too-deep', EC, ['subjectAltName=DNS:gateway.example.net'], 'inter2');
const encipherOnly = cert('encipher', RSA, ['subjectAltName=DNS:gateway.example.net', 'keyUsage=critical,keyEncipherment'], 'inter');
const otherRoot = cert('other-root', EC, ['keyUsage=critical,keyCertSign']);
// For the backend: ECDSA-SHA384 by a P-256 key over a P-384 key, RSA PKCS#1 SHA-384 and PSS SHA-384, Ed25519.
const gw384 = cert('gw384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], ['subjectAltName=DNS:gateway.example.net'], 'root', ['-sha384']);
const p384Ca = cert('p384-ca', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], ['keyUsage=critical,keyCertSign']);
const underP384 = cert('under-p384', EC, ['subjectAltName=DNS:gateway.example.net'], 'p384-ca', ['-sha384']);
const rsa384 = cert('rsa384', EC, ['subjectAltName=DNS:gateway.example.net'], 'inter', ['-sha384']);
const pss384 = cert('pss384', EC, ['subjectAltName=DNS:gateway.example.net'], 'inter', ['-sha384', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:48']);
const edRoot = cert('ed-root', ['-newkey', 'ed25519'], ['keyUsage=critical,keyCertSign']);
const underEd = cert('under-ed', EC, ['subjectAltName=DNS:gateway.example.net'], 'ed-root');

const all = [root, inter, gw, gwPss, direct, notCa, underNotCa, inter2, tooDeep, encipherOnly, otherRoot, gw384, p384Ca, underP384, rsa384, pss384, edRoot, underEd];
const check = verifier(new Map(all.map((c) => [c.publicKey, c.spki])));
const now = gw.notBefore + 60_000;
const run = (certs: Certificate[], over: Partial<ChainInput> = {}) => verifyChain({ certs, anchors: [root], now, verify: check, ...over });
const reason = (r: ReturnType<typeof run>) => (r.ok ? 'ok' : r.error.reason);

test('good chains: via the RSA intermediate (ECDSA and RSA-PSS leaves), straight from the root; the path is named', () => {
  const r = run([gw, inter]);
  assert.ok(r.ok);
  assert.deepEqual(r.value.path.map((c) => c.subjectCn[0]), ['gw', 'inter', 'root']);
  assert.equal(r.value.timeChecked, true);
  assert.equal(reason(run([gwPss, inter])), 'ok');
  assert.equal(reason(run([direct])), 'ok');
  assert.equal(reason(run([gw, otherRoot, inter])), 'ok', 'extra certificates are ignored');
});

test('each bad chain refused with its reason', () => {
  assert.equal(reason(run([gw])), 'untrusted', 'the intermediate is missing');
  assert.equal(reason(run([gw, inter], { anchors: [otherRoot] })), 'untrusted', 'another CA');
  assert.equal(reason(run([underNotCa, notCa])), 'not-a-ca');
  assert.equal(reason(run([tooDeep, inter2, inter])), 'path-length');
  assert.equal(reason(run([encipherOnly, inter])), 'key-usage');
  assert.equal(reason(run([gw, inter], { now: gw.notAfter + 1000 })), 'expired');
  assert.equal(reason(run([gw, inter], { now: gw.notBefore - 1000 })), 'not-yet-valid');
  const forged: Certificate = { ...gw, signature: gw.signature.map((b, i) => (i === 10 ? b ^ 1 : b)) };
  assert.equal(reason(run([forged, inter])), 'bad-signature');
  const forgedDirect: Certificate = { ...direct, signature: direct.signature.map((b, i) => (i === 10 ? b ^ 1 : b)) };
  assert.equal(reason(run([forgedDirect])), 'bad-signature', 'a trust anchor names the issuer but did not sign');
  assert.equal(reason(run([gw, inter, inter, inter, inter, inter])), 'too-long');
});

test('time unknown: the chain verifies but says its validity was not checked', () => {
  const r = run([gw, inter], { now: undefined });
  assert.ok(r.ok);
  assert.equal(r.value.timeChecked, false);
});

test('identity: SAN of the same kind, exact; CN only without SANs', () => {
  assert.equal(certificateNames(gw, { type: 'fqdn', value: 'Gateway.Example.Net' }), true);
  assert.equal(certificateNames(gw, { type: 'fqdn', value: 'other.example.net' }), false, 'a wrong SAN');
  assert.equal(certificateNames(gw, { type: 'fqdn', value: 'gw' }), false, 'the CN does not count beside SANs');
  assert.equal(certificateNames(direct, { type: 'ipv4', value: '192.0.2.1' }), true);
  assert.equal(certificateNames(notCa, { type: 'fqdn', value: 'notca' }), true, 'no SAN: the CN');
  assert.equal(certificateNames(gw, { type: 'email', value: 'gateway.example.net' }), false);
});

test('the noble backend agrees with node:crypto on every certificate against every key, genuine and forged', () => {
  let genuine = 0;
  let cases = 0;
  for (const c of all) {
    const forged = c.signature.map((b, i) => (i === c.signature.length >> 1 ? b ^ 0x20 : b));
    for (const issuer of all) {
      for (const sig of [c.signature, forged]) {
        const expected = check(c.signatureAlgorithm, issuer.publicKey, c.tbs, sig);
        assert.equal(checkSignature(c.signatureAlgorithm, issuer.publicKey, c.tbs, sig), expected, `${c.subjectCn[0]} by ${issuer.subjectCn[0]}`);
        if (expected) genuine++;
        cases++;
      }
    }
  }
  assert.equal(genuine, all.length, 'each certificate verifies under its issuer only, and no forgery does');
  assert.equal(cases, 2 * all.length ** 2);
  for (const [leaf, ...rest] of [[gw, inter], [gwPss, inter], [gw384], [rsa384, inter], [pss384, inter]]) assert.equal(reason(run([leaf!, ...rest], { verify: checkSignature })), 'ok');
  assert.equal(reason(run([underP384], { anchors: [p384Ca], verify: checkSignature })), 'ok');
  assert.equal(reason(run([underEd], { anchors: [edRoot], verify: checkSignature })), 'ok');
});
