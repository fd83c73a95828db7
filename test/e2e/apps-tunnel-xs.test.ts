/**
 * The MQTT broker, DNS and firmware server through the tunnel, the agent and the clients
 * (MQTT client, firmware fetcher, a sink that hashes what it gets) inside XS, bundled together
 * (net-device.ts). Cases: apps-tunnel-cases.ts. What XS adds over the Node run is the device
 * code under the device's engine, not more bytes: the resumed image is 256 KiB at 921600 baud,
 * where its download, cut by a carrier loss at 45 %, still spans several Range requests and
 * CHILD SA rekeys but takes seconds (the Node run takes the 1 MiB image).
 */
import { xsHost } from './device-hosts.ts';
import { defineAppTunnelTests } from './apps-tunnel-cases.ts';

defineAppTunnelTests(xsHost, { baud: 921600, imageBytes: 256 << 10 });
