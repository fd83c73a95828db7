/**
 * The MQTT broker, DNS and firmware server through the tunnel, agent and clients in Node
 * (hosts/sim). Cases: apps-tunnel-cases.ts. The 1 MiB image, at 921600 baud: the
 * download, cut by a carrier loss at 45 %, spans many Range requests and CHILD SA rekeys in ~15 s
 * (at 115200 it took ~110 s of CI for no other check; 115200 is covered by tcp.test.ts).
 */
import { nodeHost } from './device-hosts.ts';
import { defineAppTunnelTests } from './apps-tunnel-cases.ts';

defineAppTunnelTests(nodeHost, { baud: 921600, imageBytes: 1 << 20 });
