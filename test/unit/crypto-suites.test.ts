/** swanctl proposal parsing, transform mapping, suite selection and keymat layout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransformType, acceptEspProposal, acceptIkeProposal, childKeymatLength, espSuiteFromTransforms, formatEspSuite, formatIkeSuite, formatProposal, ikeKeymatLength, ikeSuiteFromTransforms, parseProposal, parseProposals, proposalTransforms, splitChildKeymat, splitIkeKeymat, transformName } from '../../src/crypto/index.ts';
import { AES128_GCM16, AES256_CBC, CHACHA20_POLY1305, CURVE25519, ECP256, HMAC_SHA256_128, PRF_HMAC_SHA256, PRF_HMAC_SHA384 } from '../../src/crypto/algorithms/index.ts';
import type { ProposalSpec, Result } from '../../src/crypto/index.ts';

function ok<T>(r: Result<T>): T {
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

test('IKE proposals map to IANA transform IDs', () => {
  assert.deepEqual(proposalTransforms(ok(parseProposal('aes128gcm16-prfsha256-x25519', 'ike'))), [
    { type: 1, id: 20, keyLength: 128 }, { type: 2, id: 5 }, { type: 4, id: 31 },
  ]);
  assert.deepEqual(proposalTransforms(ok(parseProposal('aes256gcm16-prfsha384-ecp256', 'ike'))), [
    { type: 1, id: 20, keyLength: 256 }, { type: 2, id: 6 }, { type: 4, id: 19 },
  ]);
  // ChaCha20-Poly1305 has a fixed key size: no Key Length attribute (RFC 7634 2).
  assert.deepEqual(proposalTransforms(ok(parseProposal('chacha20poly1305-prfsha256-x25519', 'ike'))), [
    { type: 1, id: 28 }, { type: 2, id: 5 }, { type: 4, id: 31 },
  ]);
  // Non-AEAD without a PRF gets the PRF derived from the integrity algorithm, as strongSwan does.
  const cbc = ok(parseProposal('aes256-sha256-ecp256', 'ike'));
  assert.deepEqual(proposalTransforms(cbc), [
    { type: 1, id: 12, keyLength: 256 }, { type: 2, id: 5 }, { type: 3, id: 12 }, { type: 4, id: 19 },
  ]);
  assert.equal(formatProposal(cbc), 'aes256-sha256-prfsha256-ecp256');
  // Several algorithms of one type in one proposal.
  const multi = ok(parseProposal('aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256', 'ike'));
  assert.equal(proposalTransforms(multi).length, 6);
});

test('ESP proposals map to IANA transform IDs and always carry ESN = none', () => {
  const cases: [string, object[]][] = [
    ['aes128gcm16', [{ type: 1, id: 20, keyLength: 128 }, { type: 5, id: 0 }]],
    ['aes256gcm16', [{ type: 1, id: 20, keyLength: 256 }, { type: 5, id: 0 }]],
    ['chacha20poly1305', [{ type: 1, id: 28 }, { type: 5, id: 0 }]],
    ['aes128-sha256', [{ type: 1, id: 12, keyLength: 128 }, { type: 3, id: 12 }, { type: 5, id: 0 }]],
    ['aes256-sha256-noesn', [{ type: 1, id: 12, keyLength: 256 }, { type: 3, id: 12 }, { type: 5, id: 0 }]],
    ['aes128gcm16-x25519', [{ type: 1, id: 20, keyLength: 128 }, { type: 4, id: 31 }, { type: 5, id: 0 }]],
  ];
  for (const [text, transforms] of cases) assert.deepEqual(proposalTransforms(ok(parseProposal(text, 'esp'))), transforms, text);
});

test('bad proposals are rejected with a message naming the problem', () => {
  const bad: [string, 'ike' | 'esp', RegExp][] = [
    ['aes128gcm16-prfsha256-modp1024', 'ike', /'modp1024' is not offered: .*RFC 8247.*set the gateway's DH group to modp2048 \(14\) or ecp256 \(19\)/],
    ['aes128-sha1-modp1536', 'ike', /'modp1536' is not offered/],
    ['aes128gcm16-prfsha256-curve448', 'ike', /unknown algorithm 'curve448' \(this build speaks: .*aes256gcm16.*sha384.*prfsha512.*modp2048, modp3072, modp4096/],
    ['aes128gcm16-x25519', 'ike', /no PRF/],
    ['aes128gcm16-prfsha256', 'ike', /no key exchange/],
    ['aes128-prfsha256-x25519', 'ike', /needs an integrity/],
    ['aes128gcm16-sha256-prfsha256-x25519', 'ike', /takes no integrity/],
    ['aes128gcm16-aes128-sha256-prfsha256-x25519', 'ike', /cannot mix/],
    ['aes128gcm16-esn', 'esp', /'esn' is not supported/],
    ['aes128gcm16-prfsha256', 'esp', /PRF/],
    ['aes128gcm16-prfsha256-x25519-noesn', 'ike', /noesn/],
    ['3des-sha1', 'esp', /unknown algorithm '3des'/],
    ['', 'esp', /empty/],
    ['constructor', 'esp', /unknown algorithm 'constructor'/],
  ];
  for (const [text, protocol, re] of bad) {
    const r = parseProposal(text, protocol);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.error, re);
  }
  const list = parseProposals(['aes128gcm16-prfsha256-x25519', 'aes999-sha256'], 'ike');
  assert.equal(list.ok, false);
  assert.equal(parseProposals([], 'esp').ok, false);
});

test('transform names', () => {
  assert.equal(transformName({ type: 1, id: 20, keyLength: 256 }), 'aes256gcm16');
  assert.equal(transformName({ type: 2, id: 7 }), 'prfsha512');
  assert.equal(transformName({ type: 3, id: 12 }), 'sha256');
  assert.equal(transformName({ type: 4, id: 31 }), 'x25519');
  assert.equal(transformName({ type: 5, id: 0 }), 'noesn');
  assert.equal(transformName({ type: 1, id: 20, keyLength: 512 }), 'ENCR#20/512');
  assert.equal(transformName({ type: 4, id: 2 }), 'DH#2');
});

test('suites from a responder choice, checked against the offer', () => {
  const offered: ProposalSpec[] = ok(parseProposals(['aes128gcm16-prfsha256-x25519', 'aes256-sha256-prfsha384-ecp256'], 'ike'));
  const s1 = ok(acceptIkeProposal(offered, [{ type: 1, id: 20, keyLength: 128 }, { type: 2, id: 5 }, { type: 4, id: 31 }]));
  assert.equal(s1.encr, AES128_GCM16);
  assert.equal(s1.prf, PRF_HMAC_SHA256);
  assert.equal(s1.integ, undefined);
  assert.equal(s1.dh, CURVE25519);
  assert.equal(formatIkeSuite(s1), 'aes128gcm16-prfsha256-x25519');
  const s2 = ok(acceptIkeProposal(offered, [{ type: 1, id: 12, keyLength: 256 }, { type: 2, id: 6 }, { type: 3, id: 12 }, { type: 4, id: 19 }]));
  assert.equal(s2.encr, AES256_CBC);
  assert.equal(s2.prf, PRF_HMAC_SHA384);
  assert.equal(s2.integ, HMAC_SHA256_128);
  assert.equal(s2.dh, ECP256);
  // Supported, but not what we offered.
  const notOffered = acceptIkeProposal(offered, [{ type: 1, id: 28 }, { type: 2, id: 5 }, { type: 4, id: 31 }]);
  assert.equal(notOffered.ok, false);
  // Two of one type, missing types, unknown attributes.
  assert.equal(ikeSuiteFromTransforms([{ type: 1, id: 28 }, { type: 1, id: 28 }, { type: 2, id: 5 }, { type: 4, id: 31 }]).ok, false);
  assert.equal(ikeSuiteFromTransforms([{ type: 1, id: 28 }, { type: 2, id: 5 }]).ok, false);
  assert.equal(ikeSuiteFromTransforms([{ type: 1, id: 28, unknownAttribute: true }, { type: 2, id: 5 }, { type: 4, id: 31 }]).ok, false);

  const esp = ok(parseProposals(['chacha20poly1305', 'aes128-sha256'], 'esp'));
  const e1 = ok(acceptEspProposal(esp, [{ type: TransformType.ENCR, id: 28 }, { type: TransformType.ESN, id: 0 }]));
  assert.equal(e1.encr, CHACHA20_POLY1305);
  assert.equal(formatEspSuite(e1), 'chacha20poly1305');
  const e2 = ok(acceptEspProposal(esp, [{ type: 1, id: 12, keyLength: 128 }, { type: 3, id: 12 }, { type: 5, id: 0 }]));
  assert.equal(formatEspSuite(e2), 'aes128-sha256');
  assert.equal(espSuiteFromTransforms([{ type: 1, id: 28 }, { type: 5, id: 1 }]).ok, false);
  assert.equal(acceptEspProposal(esp, [{ type: 1, id: 20, keyLength: 128 }, { type: 5, id: 0 }]).ok, false);
});

test('keymat lengths include the AEAD salt and split in RFC 7296 order', () => {
  const gcm = ok(ikeSuiteFromTransforms([{ type: 1, id: 20, keyLength: 128 }, { type: 2, id: 5 }, { type: 4, id: 31 }]));
  assert.equal(ikeKeymatLength(gcm), 3 * 32 + 2 * 20);
  const km = Uint8Array.from({ length: ikeKeymatLength(gcm) }, (_, i) => i);
  const split = splitIkeKeymat(gcm, km);
  assert.equal(split.skD[0], 0);
  assert.equal(split.skAi.length, 0);
  assert.equal(split.skEi[0], 32);
  assert.equal(split.skEi.length, 20);
  assert.equal(split.skEr[0], 52);
  assert.equal(split.skPi[0], 72);
  assert.equal(split.skPr[0], 104);

  const cbc = ok(espSuiteFromTransforms([{ type: 1, id: 12, keyLength: 128 }, { type: 3, id: 12 }, { type: 5, id: 0 }]));
  assert.equal(childKeymatLength(cbc), 2 * (16 + 32));
  const ck = splitChildKeymat(cbc, Uint8Array.from({ length: 96 }, (_, i) => i));
  assert.equal(ck.initiatorToResponder.encr[0], 0);
  assert.equal(ck.initiatorToResponder.integ[0], 16);
  assert.equal(ck.responderToInitiator.encr[0], 48);
  assert.equal(ck.responderToInitiator.integ[0], 64);
  assert.equal(childKeymatLength(ok(espSuiteFromTransforms([{ type: 1, id: 28 }]))), 72);
  assert.throws(() => splitChildKeymat(cbc, new Uint8Array(10)));
});

test('the suites commercial gateways ask for parse to their IANA transforms (issue 22)', () => {
  const ike: [string, { type: number; id: number; keyLength?: number }[]][] = [
    // AWS S2S / libreswan / Fortinet: AES-CBC with SHA-2 or SHA-1 and group 14; the PRF follows the integrity algorithm.
    ['aes256-sha256-modp2048', [{ type: 1, id: 12, keyLength: 256 }, { type: 2, id: 5 }, { type: 3, id: 12 }, { type: 4, id: 14 }]],
    ['aes128-sha1-modp2048', [{ type: 1, id: 12, keyLength: 128 }, { type: 2, id: 2 }, { type: 3, id: 2 }, { type: 4, id: 14 }]],
    ['aes256-sha384-ecp384', [{ type: 1, id: 12, keyLength: 256 }, { type: 2, id: 6 }, { type: 3, id: 13 }, { type: 4, id: 20 }]],
    ['aes192-sha512-modp4096', [{ type: 1, id: 12, keyLength: 192 }, { type: 2, id: 7 }, { type: 3, id: 14 }, { type: 4, id: 16 }]],
    // Azure custom policy / CNSA-style.
    ['aes256gcm16-prfsha384-ecp384', [{ type: 1, id: 20, keyLength: 256 }, { type: 2, id: 6 }, { type: 4, id: 20 }]],
    ['aes192gcm16-prfsha1-ecp521-modp3072', [{ type: 1, id: 20, keyLength: 192 }, { type: 2, id: 2 }, { type: 4, id: 21 }, { type: 4, id: 15 }]],
  ];
  for (const [text, transforms] of ike) assert.deepEqual(proposalTransforms(ok(parseProposal(text, 'ike'))), transforms, text);
  assert.deepEqual(proposalTransforms(ok(parseProposal('aes128-sha512', 'esp'))), [{ type: 1, id: 12, keyLength: 128 }, { type: 3, id: 14 }, { type: 5, id: 0 }]);
  assert.deepEqual(proposalTransforms(ok(parseProposal('aes256-sha1-modp2048', 'esp'))), [{ type: 1, id: 12, keyLength: 256 }, { type: 3, id: 2 }, { type: 4, id: 14 }, { type: 5, id: 0 }]);
  // A gateway's choice maps back to the suite, with the ICV and key lengths of RFC 4868 / 2404.
  const suite = ok(acceptIkeProposal([ok(parseProposal('aes256-sha384-ecp384', 'ike'))], [{ type: 1, id: 12, keyLength: 256 }, { type: 2, id: 6 }, { type: 3, id: 13 }, { type: 4, id: 20 }]));
  assert.equal(formatIkeSuite(suite), 'aes256-sha384-prfsha384-ecp384');
  assert.deepEqual([suite.integ!.keyLength, suite.integ!.icvLength, suite.prf.outputLength, suite.dh.publicLength], [48, 24, 48, 96]);
  const esp = ok(acceptEspProposal([ok(parseProposal('aes128-sha1', 'esp'))], [{ type: 1, id: 12, keyLength: 128 }, { type: 3, id: 2 }, { type: 5, id: 0 }]));
  assert.deepEqual([esp.integ!.name, esp.integ!.keyLength, esp.integ!.icvLength], ['sha1', 20, 12]);
});
