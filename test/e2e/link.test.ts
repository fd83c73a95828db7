/**
 * The cellular link end to end: agent (Node) → modem emulator (AT, paced UART) → slirp (PPP).
 * Registers, dials, LCP and IPCP open, address and DNS from the peer, UDP to an internet
 * echo through the carrier's NAT byte-exact, LCP echo answered, clean hang-up.
 */
import assert from 'node:assert/strict';
import { labTest, startLab } from '../lab/harness.ts';
import { CARRIER_ECHO_VIA_SLIRP } from '../lab/lab.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { SimDevice } from '../../hosts/sim/device.ts';
import type { AgentEvent } from '../../src/agent/agent.ts';
import { encodeFrame, HdlcDecoder, parseFrame, DEFAULT_FRAMING } from '../../src/ppp/hdlc.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';

const quiet = () => {};

/** Sends `count` numbered datagrams (one at a time in flight windows) and collects the echoes. */
async function echoRound(device: SimDevice, count: number, size: number): Promise<{ sent: Uint8Array[]; got: Map<number, Uint8Array> }> {
  const got = new Map<number, Uint8Array>();
  const sent: Uint8Array[] = [];
  let socket!: ReturnType<SimDevice['agent']['link']['ip']['bindUdp']>;
  device.act(() => {
    socket = device.agent.link.ip.bindUdp(0, (d) => got.set((d.payload[0]! << 8) | d.payload[1]!, d.payload.slice()));
  });
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(size).map((_, j) => (j < 2 ? (j === 0 ? i >> 8 : i & 0xff) : (i * 7 + j) & 0xff));
    sent.push(payload);
    device.act((now) => socket.sendTo(CARRIER_ECHO_VIA_SLIRP.address, CARRIER_ECHO_VIA_SLIRP.port, payload, now));
    await new Promise((r) => setTimeout(r, 15));
  }
  const until = Date.now() + 10_000;
  while (got.size < count && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  device.act(() => socket.close());
  return { sent, got };
}

labTest('link: modem → PPP → IPv4/UDP through slirp, byte-exact echo, clean hang-up', async (t) => {
  const lab = await startLab(t, { modem: { pin: '1234', registrationDelayMs: 300 } });
  const device = new SimDevice({ config: labDeviceConfig({ simPin: '1234', lcpEchoInterval: 1, lcpEchoFailures: 3 }), serialPath: lab.serialPath, log: quiet });
  t.after(() => device.close());
  device.start();

  const up = (await device.waitFor((e) => e.type === 'link-up', 30_000, 'PPP link up')) as Extract<AgentEvent, { type: 'link-up' }>;
  assert.equal(up.localAddress, '10.0.2.15', 'slirp hands out 10.0.2.15');
  assert.ok(up.dns.length >= 1, 'a DNS server was negotiated');
  const kinds = device.events.filter((e) => e.type === 'modem').map((e) => (e as Extract<AgentEvent, { type: 'modem' }>).event.type);
  for (const k of ['registering', 'registered', 'dialing', 'online']) assert.ok(kinds.includes(k as never), `modem went through ${k}`);

  const { sent, got } = await echoRound(device, 50, 200);
  assert.equal(got.size, sent.length, `all ${sent.length} datagrams came back`);
  for (let i = 0; i < sent.length; i++) assert.deepEqual(got.get(i), sent[i], `datagram ${i} byte-exact`);
  assert.ok(lab.carrierEchoLog().length >= sent.length, 'the internet-side echo saw the datagrams');

  // The network side checks the device is alive: an LCP Echo-Request must get its Echo-Reply.
  const replies: number[] = [];
  const decoder = new HdlcDecoder(2048, new DropCounter(silentLogger()), (frame) => {
    const p = parseFrame(frame);
    if (p && p.protocol === 0xc021 && p.info[0] === 10) replies.push(p.info[1]!);
  });
  decoder.rxAccm = 0;
  device.serial.tap = (dir, bytes) => dir === 'tx' && decoder.push(bytes);
  lab.modem!.sendToAgent(encodeFrame(0xc021, Uint8Array.of(9, 0x42, 0, 8, 0, 0, 0, 0), DEFAULT_FRAMING));
  const until = Date.now() + 3000;
  while (!replies.includes(0x42) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.ok(replies.includes(0x42), 'the device answered the LCP Echo-Request with an Echo-Reply of the same identifier');

  // Our own LCP echo supervision ran every second over several seconds without declaring the link dead.
  await new Promise((r) => setTimeout(r, 3500));
  assert.ok(device.agent.link.up, 'link still up with LCP echo supervision');

  assert.equal(device.agent.link.pppCounters()?.drops['hdlc bad fcs'] ?? 0, 0, 'no corrupted frames on a clean line');
  await device.stop();
  assert.ok(device.events.some((e) => e.type === 'link-stopped'), 'hung up cleanly');
  const down = device.events.find((e) => e.type === 'link-down') as Extract<AgentEvent, { type: 'link-down' }>;
  assert.match(down.reason, /PPP down/, 'PPP was terminated before the hang-up');
  const commands = lab.modem!.model.commands.join(' ');
  assert.match(commands, /ATH/, 'the modem was told to hang up');
});

labTest('link: survives 1 byte in 10^4 corrupted; bad frames are counted', async (t) => {
  const lab = await startLab(t, { modem: { registrationDelayMs: 100, corruptRate: 1e-4 } });
  const device = new SimDevice({ config: labDeviceConfig(), serialPath: lab.serialPath, log: quiet });
  t.after(() => device.close());
  device.start();
  await device.waitFor((e) => e.type === 'link-up', 30_000, 'PPP link up');
  let received = 0;
  let corruptedSeen = 0;
  for (let round = 0; round < 4; round++) {
    const { got } = await echoRound(device, 100, 1000);
    received += got.size;
    corruptedSeen = lab.modem!.stats().corruptedToAgent + lab.modem!.stats().corruptedToPeer;
    if (corruptedSeen >= 3) break;
  }
  assert.ok(device.agent.link.up, 'the link stays up');
  assert.ok(corruptedSeen >= 1, `the emulator corrupted bytes (${corruptedSeen})`);
  const drops = device.agent.link.pppCounters()?.drops ?? {};
  const badFrames = Object.entries(drops).filter(([k]) => k.startsWith('hdlc')).reduce((a, [, n]) => a + n, 0);
  const toAgent = lab.modem!.stats().corruptedToAgent;
  if (toAgent > 0) assert.ok(badFrames >= 1, `bad frames counted (${JSON.stringify(drops)}) for ${toAgent} corrupted bytes`);
  assert.ok(received > 0, 'datagrams still flow');
  await device.stop();
});
