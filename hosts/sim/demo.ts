/**
 * The main job, on one desktop: a simulated cellular device brings up its IPsec tunnel
 * through the lab and talks to a service in the private network.
 *
 *   device agent ─UART─ modem emulator ─PPP─ slirp (carrier NAT) ─UDP─ strongSwan ─ 198.51.100.0/24
 *
 * It narrates what happens in words, sends one message through the tunnel, shows the
 * reply and what the gateway saw, then tears everything down.
 */
import { describe, type AgentEvent } from '../../src/agent/agent.ts';
import { loadManifest } from '../../scripts/manifest.ts';
import { Lab, labUnavailableReason, ECHO_PORT } from '../../test/lab/lab.ts';
import { ikeSas } from '../../test/lab/vici-text.ts';
import { SimDevice } from './device.ts';

const started = Date.now();
const say = (text: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);

async function demo(): Promise<number> {
  const unavailable = labUnavailableReason();
  if (unavailable) {
    process.stderr.write(`The demo runs the lab (network namespaces, a strongSwan gateway, slirp): ${unavailable}.\n`);
    return 1;
  }
  const config = loadManifest('manifests/lab/manifest.json', { platform: 'sim', overrides: { logLevel: 'warn' } }).config;
  say('Starting the lab: a modem emulator, slirp as the carrier (PPP + NAT), a strongSwan gateway,');
  say('and a private network 198.51.100.0/24 with a DNS server and a UDP echo service.');
  const lab = await Lab.start({ modem: { registrationDelayMs: 800 } });
  let device: SimDevice | undefined;
  try {
    say(`Lab up. The device dials *99# and will reach the gateway at ${config.gateway} as "${config.remoteId}".`);
    device = new SimDevice({ config, serialPath: lab.serialPath, log: (level, component, message) => level === 'error' && say(`${component}: ${message}`) });
    const times: Partial<Record<AgentEvent['type'], number>> = {};
    device.onEvent((e, now) => {
      times[e.type] ??= now;
      say(describe(e));
    });
    device.start();
    const up = (await device.waitFor((e) => e.type === 'child-up' || (e.type === 'ike-error' && e.permanent), 90_000, 'the tunnel')) as AgentEvent;
    if (up.type !== 'child-up') throw new Error(`the tunnel did not come up: ${describe(up)}`);
    say(`PPP up → tunnel up took ${Math.round(times['child-up']! - times['link-up']!)} ms.`);

    const message = `Hello from ${config.localId} through IPsec, ${new Date().toISOString()}`;
    const reply = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply from the echo service')), 10_000);
      device!.act((now) => {
        device!.agent.tunnel.lookup('echo.lab.example', now, (result, t) => {
          if ('error' in result) return reject(new Error(`DNS: ${result.error}`));
          const address = result.addresses[0]!;
          say(`DNS through the tunnel: echo.lab.example is ${address}.`);
          const socket = device!.agent.tunnel.bindUdp(0, (d) => {
            clearTimeout(timer);
            socket.close();
            resolve(new TextDecoder().decode(d.payload));
          });
          say(`Sending to ${address}:${ECHO_PORT}: "${message}"`);
          socket.sendTo(address, ECHO_PORT, new TextEncoder().encode(message), t);
        });
      });
    });
    say(`Reply from the private network: "${reply}"`);
    say(reply === message ? 'The reply is byte-for-byte what was sent.' : 'WARNING: the reply differs from what was sent.');

    const sa = ikeSas(await lab.gateway.listSas())[0]?.sa;
    if (sa) {
      const child = Object.values((sa['child-sas'] ?? {}) as Record<string, Record<string, string>>)[0];
      say(`The gateway sees: IKE SA ${sa['state']} with '${sa['remote-id']}' from ${sa['remote-host']}:${sa['remote-port']} (behind NAT: ${sa['nat-remote']}),`);
      say(`  virtual IP ${(sa['remote-vips'] as string[] | undefined)?.join(', ')}, CHILD SA ${child?.['state']} ${child?.['encr-alg']}, UDP-encapsulated: ${child?.['encap']}, ${child?.['bytes-in']} bytes in.`);
    }
    say('Stopping: the device deletes its IKE SA, ends PPP and hangs up.');
    await device.stop();
    say('Done. Tearing the lab down.');
    return reply === message ? 0 : 1;
  } catch (e) {
    say(`FAILED: ${(e as Error).message}`);
    device?.close();
    return 1;
  } finally {
    await lab.stop();
  }
}

process.exitCode = await demo();
