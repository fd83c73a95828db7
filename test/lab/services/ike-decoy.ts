/**
 * Leaves one half-open IKE SA on the gateway: sends a valid IKE_SA_INIT to 127.0.0.1:500 and
 * never continues. With cookie_threshold(_ip) = 1 strongSwan then demands a COOKIE from the
 * next initiator (a threshold of 0 turns cookies off in strongSwan 5.9). Runs inside the
 * lab's wan namespace; prints "answered" or "silent".
 *   node --import tsx test/lab/services/ike-decoy.ts <ike-proposal>
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { DhGroup } from '../../../src/crypto/index.ts';
import { encodeMessage, ExchangeType } from '../../../src/ike/codec/index.ts';
import type { IkeContext } from '../../../src/ike/context.ts';
import { newIkeSa } from '../../../src/ike/ike-sa.ts';
import { parseConfiguredProposals } from '../../../src/ike/proposals.ts';
import { IkeSaInitTask, newIkeSpi } from '../../../src/ike/tasks/ike-sa-init.ts';
import { silentLogger } from '../../../src/util/log.ts';

const proposal = process.argv[2] ?? 'aes128gcm16-prfsha256-x25519';
const parsed = parseConfiguredProposals([proposal], ['aes128gcm16']);
if (!parsed.ok) throw new Error(parsed.error);
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const gateway = { address: '127.0.0.1', port: 500 };
// Just enough of an IKE layer around the task to build its request.
const ctx = {
  settings: { proposals: parsed.value }, random, log: silentLogger(), local: { address: '127.0.0.1', port: 1 }, remote: gateway, forceEncap: false,
  keyPair: (group: DhGroup) => group.generate(random),
} as unknown as IkeContext;
const sa = newIkeSa(newIkeSpi(random));
const request = encodeMessage({ spiI: sa.spiI, spiR: sa.spiR, exchange: ExchangeType.IKE_SA_INIT, initiator: true, response: false, messageId: 0, payloads: new IkeSaInitTask(ctx, 0).build(sa) });
const socket = dgram.createSocket('udp4');
socket.bind(0, () => {
  const timer = setTimeout(() => finish('silent'), 2000);
  socket.once('message', () => (clearTimeout(timer), finish('answered')));
  socket.send(request, gateway.port, gateway.address);
});
function finish(result: string): void {
  process.stdout.write(`${result}\n`);
  socket.close();
}
