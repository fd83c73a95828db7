/**
 * Issue 22: the default ikeProposals/espProposals reach the gateways users have, unchanged. The
 * fake gateway plays each: one that takes x25519 (strongSwan's defaults), and ones without it that
 * answer INVALID_KE_PAYLOAD with their group (AWS S2S: modp2048; Azure custom policy: ecp384 or
 * ecp256; a group-14-only box), choosing a CBC suite where those gateways do. Every IKE_SA_INIT
 * carries one KE payload; its size is reported (docs/gateways.md has the figures).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkConfig } from '../../src/config/validate.ts';
import { ikeSection } from '../../src/ike/config.ts';
import { ExchangeType, ProtocolId, findPayloads } from '../../src/ike/codec/index.ts';
import { PSK, Rig } from './ike-session-rig.ts';

// The chosen proposal's number: the defaults' AEAD proposal is 1, the CBC one 2.
const CBC_SHA256_MODP2048 = [{ type: 1, id: 12, keyLength: 256 }, { type: 2, id: 5 }, { type: 3, id: 12 }, { type: 4, id: 14 }];
const GCM256_PRFSHA384_ECP384 = [{ type: 1, id: 20, keyLength: 256 }, { type: 2, id: 6 }, { type: 4, id: 20 }];

const GATEWAYS = [
  { name: 'strongSwan defaults (x25519)', group: undefined, choice: undefined, kes: [31], suite: 'aes128gcm16-prfsha256-x25519' },
  { name: 'AWS S2S (no x25519: group 14 first)', group: 14, choice: CBC_SHA256_MODP2048, kes: [31, 14], suite: 'aes256-sha256-prfsha256-modp2048' },
  { name: 'Azure custom policy (GCMAES256, SHA384, ECP384)', group: 20, choice: GCM256_PRFSHA384_ECP384, kes: [31, 20], suite: 'aes256gcm16-prfsha384-ecp384' },
  { name: 'Azure custom policy (ECP256)', group: 19, choice: undefined, kes: [31, 19], suite: 'aes128gcm16-prfsha256-ecp256' },
  { name: 'Fortinet-style group 14 only', group: 14, choice: undefined, kes: [31, 14], suite: 'aes128gcm16-prfsha256-modp2048' },
] as const;

for (const g of GATEWAYS) {
  test(`the default proposals reach a gateway like ${g.name}: one KE payload per IKE_SA_INIT, INVALID_KE_PAYLOAD steers the guess`, (t) => {
    const choice = g.choice;
    const r = new Rig({ group: g.group, ...(choice ? { ikeChoice: () => ({ number: choice[0].id === 12 ? 2 : 1, protocolId: ProtocolId.IKE, spi: new Uint8Array(0), transforms: [...choice] }) } : {}) }).start();
    assert.equal(r.session.state, 'established');
    const inits = r.gw.received.filter((m) => m.exchange === ExchangeType.IKE_SA_INIT);
    assert.deepEqual(inits.map((m) => findPayloads(m, 'KE').map((ke) => ke.group)), g.kes.map((k) => [k]), 'one KE payload each, x25519 first');
    assert.equal(r.last('ike-up')!.suite, g.suite);
    assert.ok(r.last('child-up'), 'the CHILD SA is up');
    const bytes = r.sent.filter((s) => s.port === 'ike' && s.payload[18] === ExchangeType.IKE_SA_INIT).map((s) => s.payload.length);
    t.diagnostic(`IKE_SA_INIT request bytes: ${bytes.join(' then ')}`);
    // x25519's request: 8 proposals' worth of transforms beside a 32-byte KE; MODP2048's KE is 256 bytes.
    assert.ok(bytes[0]! <= 400, `the first IKE_SA_INIT stays small: ${bytes[0]} bytes`);
  });
}

test('the defaults name x25519 first and no legacy algorithm; sha1/prfsha1 are accepted with a warning (RFC 8247)', () => {
  const minimal = { apn: 'internet', gateway: '203.0.113.10', localId: 'device1.example.com', remoteId: 'gateway.example.net', psk: PSK + PSK };
  assert.match(ikeSection.defaults.ikeProposals![0]!, /-x25519-/);
  const plain = checkConfig(minimal);
  assert.ok(plain.ok && plain.warnings.length === 0, JSON.stringify(plain));
  const legacy = checkConfig({ ...minimal, ikeProposals: ['aes128-sha1-modp2048'], espProposals: ['aes128-sha1'] });
  assert.ok(legacy.ok, JSON.stringify(legacy));
  assert.ok(legacy.warnings.some((w) => w.startsWith("config.ikeProposals: 'sha1' (HMAC-SHA1-96) is legacy")), legacy.warnings.join('\n'));
  assert.ok(legacy.warnings.some((w) => w.startsWith("config.espProposals: 'sha1' (HMAC-SHA1-96) is legacy")), legacy.warnings.join('\n'));
  const prf = checkConfig({ ...minimal, ikeProposals: ['aes128gcm16-prfsha1-ecp256'] });
  assert.ok(prf.ok && prf.warnings.some((w) => w.includes("'prfsha1' (PRF-HMAC-SHA1) is legacy")), JSON.stringify(prf));
});

test('a gateway offering only MODP1024 (NO_PROPOSAL_CHOSEN) gets an error naming what to set on it', () => {
  const r = new Rig({ initError: 14 }).start();
  r.runUntil(31_000);
  const e = r.last('ike-error')!;
  assert.equal(e.cause, 'NO_PROPOSAL_CHOSEN');
  assert.match(e.detail, /it takes none of ikeProposals \(aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-ecp384-modp2048, .*\); .*MODP below 2048 bits .*set the gateway's DH group to modp2048 \(14\), ecp256 \(19\) or ecp384 \(20\)/);
});
