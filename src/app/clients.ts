/**
 * The app clients this bundle carries, as one object a host reads (an ES import of an export the
 * bundle lacks would not link in XS). This file carries all three; a device build replaces it with
 * one naming only the clients its manifest configures (scripts/device-modules.ts, rule in
 * ./clients-config.ts), so a client an app does not use costs no flash.
 */
import { FirmwareFetcher } from '../firmware/fetcher.ts';
import { HTTPClient } from '../http/client.ts';
import { MQTTClient } from '../mqtt/client.ts';

/** What a bundle may carry; absent = not bundled. */
export interface AppClients {
  readonly MQTTClient?: typeof MQTTClient;
  readonly HTTPClient?: typeof HTTPClient;
  readonly FirmwareFetcher?: typeof FirmwareFetcher;
}

export const APP_CLIENTS: AppClients = Object.freeze({ MQTTClient, HTTPClient, FirmwareFetcher });
