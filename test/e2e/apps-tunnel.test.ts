/** The MQTT broker, DNS and firmware server through the tunnel, agent in Node (hosts/sim). Cases: apps-tunnel-cases.ts. */
import { nodeHost } from './device-hosts.ts';
import { defineAppTunnelTests } from './apps-tunnel-cases.ts';

defineAppTunnelTests(nodeHost);
