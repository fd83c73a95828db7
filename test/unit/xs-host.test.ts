/**
 * XsAgentHost plumbing with a stand-in device module (hosts/xs/fixtures/echo-agent.ts):
 * serial both ways, timer re-arming, clock, random, logs, key log, config, faults, meters.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { XsAgentHost, type XsFault } from '../../hosts/xs/agent-host.ts';
import { configFromManifest } from '../../scripts/manifest.ts';
import type { EspSaKeys, IkeSaKeys, Serial } from '../../src/platform.ts';

/** The modem side of the wire, as a test sees it. */
class FakeModem implements Serial {
  written: string[] = [];
  private handler: (b: Uint8Array) => void = () => {};
  write(bytes: Uint8Array): void { this.written.push(Buffer.from(bytes).toString('latin1')); }
  onReceive(h: (b: Uint8Array) => void): void { this.handler = h; }
  send(text: string): void { this.handler(new Uint8Array(Buffer.from(text, 'latin1'))); }
}

const config = configFromManifest('manifests/lab/manifest.json');
const modem = new FakeModem();
const logs: string[] = [];
const faults: XsFault[] = [];
const ike: IkeSaKeys[] = [];
const esp: EspSaKeys[] = [];
// Started once for the file; each test awaits `ready`.
const host = new XsAgentHost({
  config,
  serial: modem,
  log: (level, component, message) => logs.push(`${level} ${component}: ${message}`),
  keyLog: { ikeSa: (e) => ike.push(e), espSa: (e) => esp.push(e) },
  deviceModule: 'hosts/xs/fixtures/echo-agent.ts',
  onFault: (f) => faults.push(f),
});
const ready = host.start();
after(() => host.stop());

const waitFor = async (pred: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('config reaches the agent in XS and its logs come back', async () => {
  await ready;
  assert.ok(logs.includes('info echo: started apn=lab gateway=10.0.2.2'), JSON.stringify({ logs, faults: host.faults, meter: host.meterUsage }));
  assert.ok(!logs.some((l) => l.includes(config.psk)));
});

test('serial bytes flow both ways, one turn per chunk', async () => {
  await ready;
  const before = host.meterUsage.turns;
  modem.send('hello');
  modem.send('\x00\xff\x7e');
  await host.idle();
  assert.deepEqual(modem.written.slice(-2), ['echo:hello', 'echo:\x00\xff\x7e']);
  assert.equal(host.meterUsage.turns, before + 2);
});

test('the timer: re-arming replaces the earlier deadline, expiry runs a turn in XS', async () => {
  await ready;
  modem.written = [];
  modem.send('time');
  await waitFor(() => modem.written.length > 0);
  await host.idle(); // the write happens inside the timer turn; its meter lands when the turn ends
  assert.deepEqual(modem.written, ['tick late-enough']); // never 'early': the 1 s arming was replaced
  assert.equal(host.meterUsage.last?.kind, 'timer');
});

test('random bytes come from Node crypto', async () => {
  await ready;
  modem.written = [];
  modem.send('rand');
  modem.send('rand');
  await host.idle();
  assert.equal(modem.written.length, 2);
  assert.match(modem.written[0]!, /^[0-9a-f]{32}$/);
  assert.notEqual(modem.written[0], modem.written[1]);
});

test('key-log entries arrive with their bytes', async () => {
  await ready;
  modem.send('keys');
  await host.idle();
  assert.deepEqual(ike[0]?.spiI, Uint8Array.of(1, 2));
  assert.equal(ike[0]?.encryption, 'aes128gcm16');
  assert.equal(esp[0]?.spi, 0x1234);
  assert.deepEqual(esp[0]?.encryptionKey, Uint8Array.of(9, 9));
});

test('an exception in the agent is a fault, and the worker keeps running', async () => {
  await ready;
  modem.send('boom');
  modem.send('after');
  await host.idle();
  assert.match(faults[0]?.message ?? '', /boom requested/);
  assert.equal(modem.written.at(-1), 'echo:after');
});

test('meterUsage keeps the longest synchronous turn', async () => {
  await ready;
  modem.send('spin');
  await host.idle();
  const { longest, last, turns, totalCompute } = host.meterUsage;
  assert.ok(turns > 5 && totalCompute > 0);
  assert.equal(last?.kind, 'receive');
  assert.ok(longest && longest.compute >= last!.compute);
});

test('sampling the live heap leaves nothing behind: 60 samples of an idle agent read the same', async () => {
  await ready;
  await host.idle();
  const samples: number[] = [];
  for (let i = 0; i < 60; i++) samples.push(await host.liveSlots());
  // The soak samples every 2 minutes: a sampler that kept one slot per sample looked like a leak of +1 per sample.
  assert.deepEqual(new Set(samples), new Set([samples[0]]), `live slots over 60 samples: ${samples.join(' ')}`);
});

test('a device module without startAgent is refused at start', async () => {
  const bad = new XsAgentHost({ config, serial: new FakeModem(), log: () => {}, deviceModule: 'src/util/bytes.ts' });
  await assert.rejects(bad.start(), /exports no startAgent\(platform\)/);
  await bad.stop();
});
