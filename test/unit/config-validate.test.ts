/** src/config/validate.ts: defaults, every error named by field and form, secrets never echoed, settings parsed once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG, checkConfig, parseSettings } from '../../src/config/validate.ts';
import { parseRoute } from '../../src/ike/config.ts';
import { formatSelector } from '../../src/ike/traffic-selectors.ts';

const PSK = 'super-secret-psk-value-0123456789';
const minimal = { apn: 'internet', gateway: '203.0.113.10', localId: 'device1.example.com', remoteId: 'gateway.example.net', psk: PSK };

const errorsOf = (raw: unknown): string[] => {
  const r = checkConfig(raw);
  assert.equal(r.ok, false, 'expected errors');
  return r.ok ? [] : r.errors;
};

test('a minimal config gets every default', () => {
  const r = checkConfig(minimal);
  assert.ok(r.ok);
  assert.deepEqual(r.config, { ...DEFAULT_CONFIG, ...minimal });
});

test('required settings are named when missing', () => {
  const errors = errorsOf({});
  for (const k of ['apn', 'gateway', 'localId', 'remoteId', 'psk']) assert.ok(errors.includes(`config.${k}: required setting is missing`), errors.join('\n'));
});

test('each bad value is reported with its field and expected form', () => {
  const errors = errorsOf({ ...minimal, uartBaud: 'fast', gateway: '300.1.2.3', mru: 70000, logLevel: 'loud', pppAuth: 'eap', remoteTs: ['198.51.100.1/24'] });
  assert.ok(errors.some((e) => e.startsWith('config.uartBaud: expected one of 9600..921600') && e.endsWith('(got "fast")')), errors.join('\n'));
  assert.ok(errors.includes('config.gateway: expected an IPv4 literal such as 203.0.113.10 (got "300.1.2.3")'));
  assert.ok(errors.some((e) => e.startsWith('config.mru: expected an integer 576..1500')));
  assert.ok(errors.some((e) => e.startsWith('config.logLevel: expected one of "error", "warn", "info", "debug"')));
  assert.ok(errors.some((e) => e.startsWith('config.pppAuth:')));
  assert.ok(errors.some((e) => e.startsWith('config.remoteTs[0]: expected an IPv4 CIDR')));
});

test('proposal words are checked against the crypto suites', () => {
  const errors = errorsOf({ ...minimal, ikeProposals: ['aes128gcm16-prfsha256-x25519', 'aes128-sha1-modp1024'], espProposals: [] });
  assert.ok(errors.some((e) => e.startsWith('config.ikeProposals[1]:') && e.includes("'modp1024' is not offered")), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('config.espProposals: expected a non-empty array')));
});

test('identities: FQDN, email or IPv4', () => {
  assert.ok(checkConfig({ ...minimal, localId: 'dev@example.com', remoteId: '198.51.100.7' }).ok);
  assert.ok(errorsOf({ ...minimal, localId: 'not an id' }).some((e) => e.startsWith('config.localId: expected an IKE identity')));
});

test('UART pins: ranges, input-only pins, duplicates, RTS/CTS pairs', () => {
  const errors = errorsOf({ ...minimal, uartTx: 34, uartRx: 40 });
  assert.ok(errors.some((e) => e.startsWith('config.uartTx:') && e.includes('cannot drive an output')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('config.uartRx: expected a GPIO of the esp32 (0..39)')), errors.join('\n'));
  assert.ok(errorsOf({ ...minimal, uartRx: 17 }).some((e) => e.startsWith('config.uartRx: expected a GPIO different from config.uartTx')));
  assert.ok(errorsOf({ ...minimal, uartRts: 18 }).some((e) => e.startsWith('config.uartRts: expected RTS and CTS both set')));
});

test('UART pins by chip: the S3\'s GPIO 40..48 and output-capable 34..39, the C3\'s 0..21 and two UARTs', () => {
  assert.ok(checkConfig({ ...minimal, uartChip: 'esp32s3', uartTx: 43, uartRx: 44 }).ok, 'an S3 board\'s pins');
  assert.ok(checkConfig({ ...minimal, uartChip: 'esp32s3', uartTx: 35, uartRx: 36 }).ok, 'the S3 drives outputs on 34..39');
  assert.ok(errorsOf({ ...minimal, uartChip: 'esp32c3', uartTx: 17, uartRx: 22 }).some((e) => e.startsWith('config.uartRx: expected a GPIO of the esp32c3 (0..21)')));
  assert.ok(errorsOf({ ...minimal, uartChip: 'esp32c6', uartPort: 2 }).some((e) => e.startsWith('config.uartPort: expected a UART of the esp32c6 (0..1)')));
  assert.ok(errorsOf({ ...minimal, uartChip: 'esp32h2' }).some((e) => e.startsWith('config.uartChip: expected one of')));
});

test('unknown keys are errors with a suggestion', () => {
  assert.ok(errorsOf({ ...minimal, gatway: '1.2.3.4' }).includes('config.gatway: unknown setting (did you mean gateway?)'));
  assert.ok(checkConfig({ ...minimal, ssid: 'x' }, { ignoreKeys: ['ssid'] }).ok);
});

test('secrets never appear in messages, whatever is wrong with them', () => {
  const raw = { ...minimal, psk: 'short', simPin: 'abcd-secret-pin', pppPassword: 'p'.repeat(80), gatway: PSK };
  const all = errorsOf(raw).join('\n');
  for (const secret of ['short', 'abcd-secret-pin', 'p'.repeat(80), PSK]) assert.ok(!all.includes(secret), `leaked ${secret}`);
  assert.match(all, /config\.psk: expected a pre-shared key string of 20\.\.256 bytes in UTF-8 .* \(got a string of 5 characters\)/);
  assert.throws(() => parseSettings(raw, 'test'), (e: Error) => !e.message.includes('abcd-secret-pin') && e.message.startsWith('invalid test:'));
});

test('non-objects are refused', () => {
  assert.deepEqual(errorsOf([1]), ['config: expected an object of settings']);
  assert.deepEqual(errorsOf(null), ['config: expected an object of settings']);
});

test('routes (remoteTs): a network, never an address with host bits', () => {
  assert.equal(formatSelector(parseRoute('198.51.100.0/24')!), '198.51.100.0/24');
  assert.equal(formatSelector(parseRoute('0.0.0.0/0')!), '0.0.0.0/0');
  assert.equal(parseRoute('198.51.100.1/24'), undefined);
  assert.equal(parseRoute('198.51.100.0/33'), undefined);
  assert.equal(parseRoute('198.51.100.0'), undefined);
});

test('settings are parsed once into what the layers use: ms, address bytes, identities, selectors', () => {
  const s = parseSettings({ ...minimal, dpdInterval: 20, registrationTimeout: 45, lcpEchoInterval: 7, remoteTs: ['198.51.100.0/24'], retryInterval: 90, retryMaxInterval: 600 });
  assert.deepEqual([...s.ike.gatewayBytes], [203, 0, 113, 10]);
  assert.equal(s.ike.dpdIntervalMs, 20_000);
  assert.equal(s.modem.registrationTimeoutMs, 45_000);
  assert.equal(s.ppp.echoIntervalMs, 7000);
  assert.deepEqual(s.ike.remoteTs.map(formatSelector), ['198.51.100.0/24']);
  assert.deepEqual({ quick: s.retry.quickAttempts, interval: s.retry.intervalMs, max: s.retry.maxIntervalMs }, { quick: 5, interval: 90_000, max: 600_000 });
  assert.equal(s.ike.proposals.ike[0]!.dh[0]!.name, 'x25519');
});

test('no parsed section carries the whole config (a copy of every key would stay in the device\'s RAM)', () => {
  const s = parseSettings(minimal) as unknown as Record<string, unknown>;
  const all = Object.keys(DEFAULT_CONFIG).length;
  for (const [name, section] of Object.entries(s)) {
    if (section === null || typeof section !== 'object') continue;
    assert.ok(Object.keys(section).length < all / 2, `settings.${name} has ${Object.keys(section).length} keys`);
    assert.equal('apn' in section && name !== 'modem', false, `settings.${name} holds another section's key`);
  }
  assert.deepEqual(s.uart, { uartChip: 'esp32', uartPort: 1, uartTx: 17, uartRx: 16, uartRts: -1, uartCts: -1, uartBaud: 115200 });
  assert.deepEqual(s.probe, { probeTarget: '', probeCount: 0, probeSize: 0 });
});

test('build time and run time agree: what the validator accepts the agent runs, what it refuses never starts', () => {
  // Each of these was once accepted by one and refused (or changed) by the other.
  for (const [key, value] of [['dialString', '*99***1#P'], ['gateway', '999.1.1.1'], ['remoteTs', ['198.51.100.1/24']], ['apn', 'quote"apn']] as const) {
    const r = checkConfig({ ...minimal, [key]: value });
    assert.equal(r.ok, false, `${key} = ${JSON.stringify(value)} is refused`);
    assert.throws(() => parseSettings({ ...minimal, [key]: value }));
  }
  assert.ok(checkConfig({ ...minimal, dialString: '*99***1#' }).ok);
});

test('PSK: shorter than 20 bytes refused, shorter than 32 warned about (IKEv2 PSK AUTH can be attacked offline)', () => {
  assert.ok(errorsOf({ ...minimal, psk: 'x'.repeat(19) }).some((e) => e.startsWith('config.psk: expected a pre-shared key string of 20..256')));
  const r = checkConfig({ ...minimal, psk: 'x'.repeat(24) });
  assert.ok(r.ok && r.warnings.some((w) => w.startsWith('config.psk: 24 bytes; use 32 or more')), JSON.stringify(r));
  // Counted as the bytes AUTH uses: ten 2-byte characters are 20 bytes, enough; nine are not.
  assert.ok(checkConfig({ ...minimal, psk: 'é'.repeat(10) }).ok);
  assert.ok(errorsOf({ ...minimal, psk: 'é'.repeat(9) }).some((e) => e.startsWith('config.psk: expected')));
  const strong = checkConfig({ ...minimal, psk: 'x'.repeat(32) });
  assert.ok(strong.ok && !strong.warnings.some((w) => w.startsWith('config.psk')));
});

test('crypto: the backend is "noble" by default, "native" on request, nothing else', () => {
  const r = checkConfig(minimal);
  assert.ok(r.ok && r.config.crypto === 'noble');
  const native = checkConfig({ ...minimal, crypto: 'native' });
  assert.ok(native.ok && native.config.crypto === 'native');
  assert.ok(errorsOf({ ...minimal, crypto: 'openssl' }).some((e) => e.startsWith('config.crypto: expected one of "noble", "native"') && e.endsWith('(got "openssl")')));
});
