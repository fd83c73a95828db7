/** The device bundle's public surface: what every host imports. */
export type { ManifestConfig, Settings } from './config/validate.ts';
export { checkConfig, ownConfig, parseSettings } from './config/validate.ts';
export type { Platform, Serial, Clock, Timer, Random, LogSink, LogLevel, KeyLog } from './platform.ts';
export { Logger } from './util/log.ts';
export { Agent, describe, type AgentEvent, type AgentDeps, type AgentPorts } from './agent/agent.ts';
export { Runner, type DrivenAgent } from './agent/runner.ts';
export { startAgent, type StartedAgent } from './agent/start.ts';
export type { TunnelStatus, TunnelStatusView, TunnelState } from './agent/status.ts';
export {
  socketsFor, TcpSocket, UdpSocket, ListenerSocket, ResolverSocket,
  type NetworkSockets, type TcpOptions, type TcpFormat, type UdpOptions, type UdpDatagramBuffer, type ListenerOptions, type ResolveOptions,
} from './net/sockets/index.ts';
export type { Network, NetCounters } from './net/network.ts';
export { NetError, type NetErrorCode } from './net/errors.ts';
export { netSection, type NetManifest, type NetSettings } from './net/config.ts';
export type { ClientIo, ClientRuntime, SocketOption, DnsOption } from './io/ecma419.ts';
// The app clients over the tunnel's sockets (docs/apps.md): Moddable's ECMA-419 client shapes. A device
// build bundles only those its config needs (src/app/clients-config.ts): read them from APP_CLIENTS.
export { APP_CLIENTS, type AppClients } from './app/clients.ts';
export { neededClients, type AppClientName, type ClientKind } from './app/clients-config.ts';
export type { MQTTClient, MqttClientOptions, WriteOptions as MqttWriteOptions, ReadableInfo as MqttReadableInfo } from './mqtt/client.ts';
export type { MqttError, MqttEvent, MqttCounters, MqttLimits, ControlMessage as MqttControlMessage } from './mqtt/session.ts';
export type { MqttSettings } from './mqtt/config.ts';
export type { HTTPClient, HttpClientOptions, RequestOptions as HttpRequestOptions } from './http/client.ts';
export type { HttpError } from './http/response.ts';
export type { HttpSettings } from './http/config.ts';
export type { FirmwareFetcher, FirmwareSettings, FirmwareEvent, FirmwareCounters, FirmwareFetcherOptions } from './firmware/fetcher.ts';
export type { FirmwareSink, FirmwareImage } from './firmware/sink.ts';
export type { FirmwareConfig } from './firmware/config.ts';
