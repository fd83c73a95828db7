/**
 * TypeScript declarations for a Moddable project that includes ikelet's manifest: what
 * `device.network` holds once ikelet's setup module ran, typed, as the module "ikelet/network"
 * (its default export is that same object):
 *   import network from "ikelet/network";
 *   network.ikelet.onChanged((status) => trace(`tunnel ${status.state}\n`));
 *   const mqtt = new network.mqtt.io({ ...network.mqtt, onReadable(count, info) { ... } });
 * Add this file to your tsconfig's `include` beside the SDK's typings.
 */
declare namespace Ikelet {
  type ByteSource = ArrayBuffer | ArrayBufferView;

  /** ECMA-419 TCP over the tunnel (`embedded:io/socket/tcp`'s shape). */
  interface TCPOptions {
    address?: string;
    host?: string;
    port: number;
    nodelay?: boolean;
    format?: 'buffer' | 'number';
    onReadable?(this: TCPSocket, count: number): void;
    onWritable?(this: TCPSocket, count: number): void;
    onError?(this: TCPSocket): void;
  }
  interface TCPSocket {
    read(count?: number): ArrayBuffer | number | undefined;
    /** `more: true`: the rest of this write follows in the same turn (sent together). */
    write(data: ByteSource, options?: { more?: boolean }): number;
    close(): void;
    readonly remoteAddress?: string;
    readonly remotePort?: number;
  }
  type TCPClass = new (options: TCPOptions) => TCPSocket;
  type UDPClass = new (options: { port?: number; onReadable?(count: number): void; onError?(): void }) => {
    read(): ArrayBuffer | undefined;
    write(data: ByteSource, address: string, port: number): void;
    close(): void;
  };
  type ListenerClass = new (options: { port: number; onReadable?(count: number): void }) => { read(): TCPSocket | undefined; close(): void };
  interface Dns {
    io: new (options: object) => { resolve(options: { host: string; onResolved?(host: string, address: string): void; onError?(host: string): void }): void; close(): void };
    servers: string[];
  }

  /** The tunnel's state for apps (ikelet's TunnelStatus). */
  type TunnelState = 'offline' | 'link-up' | 'connecting' | 'up';
  interface TunnelStatusView {
    readonly state: TunnelState;
    /** The gateway's virtual IP, while `up`. */
    readonly virtualIp: string | undefined;
    readonly dns: readonly string[];
    /** What last went wrong, in words. */
    readonly lastError: string | undefined;
    /** Agent time (ms) of the last state change. */
    readonly since: number;
    /** Bytes and packets of IP by cause since boot, counted at the outer IPv4 layer. */
    readonly traffic: {
      readonly ikeBytesOut: number;
      readonly ikeBytesIn: number;
      readonly espBytesOut: number;
      readonly espBytesIn: number;
      /** IKE messages and NAT keepalives out; IKE messages in. */
      readonly ikePacketsOut: number;
      readonly ikePacketsIn: number;
      readonly espPacketsOut: number;
      readonly espPacketsIn: number;
      readonly keepalivesIn: number;
    };
    /** Signal (dBm) and roaming at the modem's last registration. */
    readonly signalDbm: number | undefined;
    readonly roaming: boolean | undefined;
    /** The recovery ladder's last rung and why. */
    readonly lastRecovery: string | undefined;
  }
  interface TunnelStatus extends TunnelStatusView {
    /** Calls `listener` after every change; false when 8 listeners are registered already. */
    onChanged(listener: (status: TunnelStatusView) => void): boolean;
  }

  /** `device.network.mqtt`: the SDK's client when the project includes it, else ikelet's; over the tunnel either way. */
  interface MqttEntry {
    io: {
      new (options: MqttEntry & MqttCallbacks & Record<string, unknown>): MqttClient;
      readonly CONNACK: number;
      readonly PUBACK: number;
      readonly SUBSCRIBE: number;
      readonly SUBACK: number;
      readonly UNSUBSCRIBE: number;
      readonly PINGREQ: number;
      readonly DISCONNECT: number;
    };
    socket: { io: TCPClass };
    dns: Dns;
    /** With mqttHost in the config: the manifest's broker settings. */
    host?: string;
    port?: number;
    id?: string;
    user?: string;
    password?: string;
    keepalive?: number;
    clean?: boolean;
  }
  interface MqttCallbacks {
    onReadable?(this: MqttClient, count: number, info: { topic: string; QoS: number; byteLength: number; more?: boolean }): void;
    onWritable?(this: MqttClient, count: number): void;
    onControl?(this: MqttClient, message: { operation: number; id?: number }): void;
    onError?(this: MqttClient, error?: { name: string; message: string }): void;
    onClose?(this: MqttClient): void;
  }
  interface MqttClient {
    /** undefined when the message has no bytes left. */
    read(count?: number): ArrayBuffer | undefined;
    write(data: ByteSource | null, options: { topic?: string; QoS?: number; retain?: boolean; operation?: number; items?: { topic: string; QoS?: number }[]; byteLength?: number }): number;
    close(): void;
  }
  interface HttpEntry {
    io: new (options: HttpEntry & { host: string; port?: number }) => {
      request(options: {
        method?: string;
        path?: string;
        headers?: Map<string, string>;
        onHeaders?(status: number, headers: Map<string, string>): void;
        onReadable?(count: number): void;
        onDone?(error?: unknown): void;
      }): { read(count?: number): ArrayBuffer };
      close(): void;
    };
    socket: { io: TCPClass };
    dns: Dns;
  }

  interface Network {
    readonly tcp: { io: TCPClass };
    readonly udp: { io: UDPClass };
    readonly listener: { io: ListenerClass };
    readonly dns: Dns;
    /** Present when the project includes the SDK's MQTT client or the config brings ikelet's (mqttHost, clients). */
    readonly mqtt?: MqttEntry;
    /** Present when the project includes the SDK's HTTP client or the config brings ikelet's (firmwareHost, clients). */
    readonly http?: HttpEntry;
    readonly ikelet: TunnelStatus;
  }
}

declare module 'ikelet/network' {
  const network: Ikelet.Network;
  export default network;
}
