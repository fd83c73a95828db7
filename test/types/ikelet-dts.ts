/**
 * manifests/ikelet/ikelet.d.ts says what device.network holds; this file (type-checked by `tsc -p
 * tsconfig.json` in npm test) fails to compile when the declarations and ikelet's own types part.
 */
/// <reference path="../../manifests/ikelet/ikelet.d.ts" />
import type { TunnelStatus } from '../../src/agent/status.ts';
import type { NetworkSockets } from '../../src/net/sockets/index.ts';
import type { MQTTClient } from '../../src/mqtt/client.ts';

declare const status: TunnelStatus;
declare const tcp: InstanceType<NetworkSockets['TCP']>;
declare const mqtt: MQTTClient;
declare const state: Ikelet.TunnelState;

export const declared: [Ikelet.TunnelStatus, TunnelStatus['state'], Pick<Ikelet.TCPSocket, 'read' | 'write' | 'close'>, Ikelet.MqttClient] = [status, state, tcp, mqtt];
