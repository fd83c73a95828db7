/**
 * The ECMA-419 shapes the app clients (MQTT, HTTP) consume, as structural types: the TCP socket
 * and DNS resolver classes are constructor options (`socket: {io: TCP}`, `dns: {io: Resolver}`),
 * exactly as the Moddable SDK's clients take them, so ikelet's tunnel sockets, Moddable's Wi-Fi
 * sockets or a test's fakes drop in unchanged.
 */
import type { Random, Timer } from '../platform.ts';

export type ByteSource = ArrayBuffer | ArrayBufferView;

/** An ECMA-419 TCP socket used with format "buffer". */
export interface TcpSocket {
  /** Up to `count` bytes (all readable when omitted); undefined when nothing is readable. */
  read(count?: number): ArrayBuffer | undefined;
  /** Queues bytes; Moddable's sockets return the bytes still writable, others may return nothing. */
  write(data: ByteSource): number | void;
  close(): void;
  format: string;
}

export interface TcpOptions {
  address: string;
  port: number;
  host?: string;
  nodelay?: boolean;
  format?: 'buffer';
  onReadable?: (this: TcpSocket, count: number, now?: number) => void;
  onWritable?: (this: TcpSocket, count: number, now?: number) => void;
  onError?: (this: TcpSocket, error?: unknown, now?: number) => void;
}

export type TcpClass = new (options: TcpOptions) => TcpSocket;

export interface ResolveRequest {
  host: string;
  onResolved: (host: string, address: string) => void;
  onError: (host: string, error?: unknown) => void;
}

export interface Resolver {
  resolve(request: ResolveRequest): void;
  close(): void;
}

export type ResolverClass = new (options: Record<string, unknown>) => Resolver;

/** `socket` and `dns` as a Moddable `device.network.*` entry carries them: the class plus its options. */
export interface SocketOption extends Record<string, unknown> {
  io: TcpClass;
}
export interface DnsOption extends Record<string, unknown> {
  io: ResolverClass;
}

/**
 * What a client needs from the device besides sockets, passed through `device.network.*` like
 * `socket` and `dns`: the monotonic clock, a fresh re-armable timer per client (the clients are
 * drivers, like the agent's Runner: their sans-IO cores only name deadlines), randomness for
 * backoff jitter. The device host builds it from its Platform.
 */
export interface ClientRuntime {
  now(): number;
  timer(): Timer;
  random?: Random;
}

/**
 * Everything a client takes besides its own options, as `device.network.mqtt` / `.http` carry it:
 * `new MQTTClient({ ...clients, host, ... })`.
 */
export interface ClientIo {
  socket: SocketOption;
  dns: DnsOption;
  runtime: ClientRuntime;
}

/** Bytes of an ArrayBuffer or a view, as a Uint8Array over the same memory. */
export function bytesOf(data: ByteSource): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A fresh ArrayBuffer holding exactly these bytes (what ECMA-419 read() returns). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}
