/**
 * The agent's configuration: exactly the `config` object of the Moddable manifest
 * (flat keys, JSON values), so one file configures every host.
 * Durations are in seconds, as a gateway admin writes them in swanctl.conf.
 */
import type { LogLevel } from './platform.ts';

export interface AgentConfig {
  // Modem (3GPP TS 27.007)
  apn: string;
  simPin: string; // '' when the SIM has no PIN
  registrationTimeout: number; // s to wait for home/roaming registration
  dialString: string; // e.g. '*99#' (ATD<dialString>)

  // PPP
  pppAuth: 'none' | 'pap' | 'chap';
  pppUser: string;
  pppPassword: string;
  lcpEchoInterval: number; // s between LCP echo requests, 0 = off
  lcpEchoFailures: number; // unanswered echoes before the link is declared dead
  mru: number;

  // IKEv2 / IPsec
  gateway: string; // IPv4 address of the VPN gateway
  localId: string; // IDi (FQDN, email or IPv4 literal)
  remoteId: string; // expected IDr of the gateway
  psk: string; // pre-shared key (never logged)
  ikeProposals: string[]; // swanctl vocabulary, e.g. 'aes128gcm16-prfsha256-x25519'
  espProposals: string[]; // e.g. 'aes128gcm16', 'aes128-sha256'
  ikeLifetime: number; // s
  childLifetime: number; // s
  dpdInterval: number; // s, 0 = off
  natKeepalive: number; // s between NAT-T keepalives
  remoteTs: string[]; // CIDRs reached through the tunnel, e.g. '198.51.100.0/24'
  maxAttempts: number; // bounded tunnel establishment attempts before an error event

  // UART (ESP32 host)
  uartPort: number;
  uartTx: number;
  uartRx: number;
  uartRts: number; // -1 = no hardware flow control
  uartCts: number;
  uartBaud: number;

  logLevel: LogLevel;

  // Connectivity probe (boot self-check through the tunnel)
  probeTarget: string; // 'host:port' of a UDP echo in the private network ('' = off); host may be a DNS name
  probeCount: number; // datagrams to send once the tunnel is up (0 = off)
  probeSize: number; // payload bytes per datagram (0 = sizes varying from 16 to 215)
}
