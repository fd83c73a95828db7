/**
 * Which app clients a device build bundles (src/app/clients.ts): the MQTT client for a broker in
 * the manifest, the HTTP client and the firmware fetcher for firmware updates, and `clients` for
 * apps that give their own host at run time. What none of these asks for is left out of flash.
 */
import { describeValue } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';
import type { AppClients } from './clients.ts';

/** Clients an app may ask for by name, beyond those `mqttHost` and `firmwareHost` bring. */
export const CLIENT_KINDS = Object.freeze(['mqtt', 'http'] as const);
export type ClientKind = (typeof CLIENT_KINDS)[number];

export interface ClientsRaw {
  clients: ClientKind[];
}

export const clientsSection: ConfigSection<ClientsRaw, readonly ClientKind[]> = {
  defaults: { clients: [] },
  checks: {
    clients(v: unknown, key: string) {
      if (!Array.isArray(v)) return 'a list of client names such as ["mqtt", "http"]; [] = only what mqttHost and firmwareHost bring';
      return v.flatMap((k, i) => (CLIENT_KINDS.includes(k as ClientKind) && v.indexOf(k) === i ? [] : [`config.${key}[${i}]: expected ${CLIENT_KINDS.map((c) => `"${c}"`).join(' or ')}, each at most once (got ${describeValue(k, false)})`]));
    },
  },
  parse: (r) => Object.freeze([...r.clients]),
};

export type AppClientName = keyof AppClients & string;

/** The config keys that decide which clients are bundled. */
export interface ClientChoice {
  mqttHost: string;
  firmwareHost: string;
  clients: readonly string[];
}

/** The clients `config` needs: MQTT for mqttHost or "mqtt"; HTTP for firmwareHost or "http"; the fetcher for firmwareHost. */
export function neededClients(config: ClientChoice): AppClientName[] {
  const firmware = config.firmwareHost !== '';
  return [
    ...(config.mqttHost !== '' || config.clients.includes('mqtt') ? ['MQTTClient' as const] : []),
    ...(firmware || config.clients.includes('http') ? ['HTTPClient' as const] : []),
    ...(firmware ? ['FirmwareFetcher' as const] : []),
  ];
}
