/**
 * Traffic selectors enforced both ways (RFC 4301 5.2) on the tunnel's ESP path, with the Tunnel on
 * an outer IPv4 stack bridged to the in-process gateway: an app sending outside the negotiated
 * selectors gets an error and nothing leaves (not even in clear); an inbound packet from outside
 * them is dropped and counted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tunnel } from '../../src/agent/tunnel.ts';
import { classifyUdp4500 } from '../../src/esp/index.ts';
import { buildIpv4Packet, parseIpv4Packet, PROTO_UDP } from '../../src/ip/ipv4.ts';
import { IpStack } from '../../src/ip/stack.ts';
import { buildUdp, parseUdp } from '../../src/ip/udp.ts';
import { silentLogger } from '../../src/util/log.ts';
import { FakeGateway, random } from './ike-session-fake-gateway.ts';
import { ikeSettings, PSK, retry, withMarker } from './ike-session-rig.ts';

const DEVICE = Uint8Array.of(10, 0, 2, 15);
const GATEWAY = Uint8Array.of(192, 0, 2, 254);

function rig() {
  const gw = new FakeGateway({ psk: PSK, id: 'gateway.example.net' });
  const queue: Uint8Array[] = [];
  const espSeen: Uint8Array[] = [];
  const outerPackets: Uint8Array[] = [];
  let now = 0;
  const outer = new IpStack({ log: silentLogger() }, {
    transmit: (packet) => {
      outerPackets.push(packet);
      const ip = parseIpv4Packet(packet);
      if (!ip.ok) return true;
      const udp = parseUdp(ip.value.payload, ip.value.header.src, ip.value.header.dst);
      if (!udp.ok) return true;
      const port = udp.value.dstPort;
      let ike = udp.value.payload;
      if (port === 4500) {
        const c = classifyUdp4500(ike);
        if (c.kind === 'esp') {
          const inner = gw.espInbound().open(c.packet);
          if (inner) espSeen.push(inner.slice());
          return true;
        }
        if (c.kind !== 'ike') return true;
        ike = c.message;
      }
      const answer = gw.handle(ike);
      if (answer) queue.push(buildIpv4Packet({ src: GATEWAY, dst: DEVICE, protocol: PROTO_UDP, identification: 1 }, buildUdp(GATEWAY, DEVICE, port, port, port === 4500 ? withMarker(answer) : answer)));
      return true;
    },
  });
  outer.setLocalAddress('10.0.2.15');
  const tunnel = new Tunnel(ikeSettings(), retry(), outer, { random, log: silentLogger() }, { onEvent: () => {} });
  const pump = () => {
    for (let guard = 0; guard < 100; guard++) {
      while (queue.length) outer.input(queue.shift()!, now);
      const at = tunnel.deadline();
      if (at === undefined || at > now) return;
      tunnel.onTimer(now);
    }
  };
  tunnel.linkUp('10.0.2.15', now);
  pump();
  assert.ok(tunnel.up, 'the tunnel came up against the fake gateway');
  /** The gateway sends an inner UDP datagram through its outbound ESP SA. */
  const gwOut = gw.espOutbound();
  const fromGateway = (src: Uint8Array, payload: Uint8Array) => {
    const vip = Uint8Array.of(192, 0, 2, 7);
    const inner = buildIpv4Packet({ src, dst: vip, protocol: PROTO_UDP, identification: 9 }, buildUdp(src, vip, 7, 5000, payload));
    const esp = gwOut.protect(inner)!;
    outer.input(buildIpv4Packet({ src: GATEWAY, dst: DEVICE, protocol: PROTO_UDP, identification: 2 }, buildUdp(GATEWAY, DEVICE, 4500, 4500, esp)), now);
  };
  return { tunnel, espSeen, outerPackets, fromGateway, pump };
}

test('outbound: inside TSr goes through ESP; outside TSr the send fails and nothing leaves', () => {
  const { tunnel, espSeen, outerPackets } = rig();
  const socket = tunnel.bindUdp(5000, () => {});
  assert.equal(socket.sendTo('198.51.100.10', 7, Uint8Array.of(1, 2, 3), 0), true);
  assert.equal(espSeen.length, 1, 'the gateway opened it');
  const before = outerPackets.length;
  assert.equal(socket.sendTo('203.0.113.5', 7, Uint8Array.of(4, 5, 6), 0), false, 'the app learns it was not sent');
  assert.equal(outerPackets.length, before, 'nothing on the link, in clear or otherwise');
  assert.equal(tunnel.drops.count('app traffic outside the traffic selectors'), 1);
});

test('inbound: a packet from outside TSr is dropped and counted, one from inside is delivered', () => {
  const { tunnel, fromGateway } = rig();
  const received: string[] = [];
  tunnel.bindUdp(5000, (d) => received.push(`${d.srcAddr} ${[...d.payload].join(',')}`));
  fromGateway(Uint8Array.of(203, 0, 113, 5), Uint8Array.of(6, 6));
  assert.deepEqual(received, []);
  assert.equal(tunnel.drops.count('inner packet outside the traffic selectors'), 1);
  fromGateway(Uint8Array.of(198, 51, 100, 10), Uint8Array.of(7, 7));
  assert.deepEqual(received, ['198.51.100.10 7,7']);
});
