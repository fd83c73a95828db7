/**
 * The MQTT broker, DNS and firmware server through the tunnel, agent and clients in Node
 * (hosts/sim). Cases: apps-tunnel-cases.ts. The sizes: the 1 MiB image at the lab's
 * 115200 baud (~100 s of the ~200 s this file takes).
 */
import { nodeHost } from './device-hosts.ts';
import { defineAppTunnelTests } from './apps-tunnel-cases.ts';

defineAppTunnelTests(nodeHost, { baud: 115200, imageBytes: 1 << 20 });
