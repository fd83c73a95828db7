/** The MQTT broker, DNS and firmware server through the tunnel, agent inside XS. Cases: apps-tunnel-cases.ts. */
import { xsHost } from './device-hosts.ts';
import { defineAppTunnelTests } from './apps-tunnel-cases.ts';

defineAppTunnelTests(xsHost);
