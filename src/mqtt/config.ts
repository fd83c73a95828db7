/**
 * The MQTT client's config section: where the broker is, who the device is, and the limits and
 * timers of the session, in manifest units (seconds, bytes, counts).
 */
import { bool, hostOrOff, intIn, stringMax } from '../config/checks.ts';
import type { ConfigSection } from '../config/section.ts';
import { DEFAULT_LIMITS, type MqttLimits } from './session.ts';

export interface MqttRaw {
  mqttHost: string; // '' = no MQTT
  mqttPort: number;
  mqttClientId: string;
  mqttUser: string;
  mqttPassword: string;
  mqttKeepalive: number; // s, 0 = off
  mqttClean: boolean;
  mqttMaxPacket: number; // bytes
  mqttQueueLength: number;
  mqttQueueBytes: number;
  mqttInflight: number;
  mqttConnectTimeout: number; // s
  mqttPingTimeout: number; // s
  mqttAckTimeout: number; // s
  mqttRetryMin: number; // s
  mqttRetryMax: number; // s
}

/** What MQTTClient takes from the config (spread into its options). */
export interface MqttSettings {
  enabled: boolean;
  host: string;
  port: number;
  id: string;
  user?: string;
  password?: string;
  keepalive: number; // ms
  clean: boolean;
  limits: MqttLimits;
}

export const mqttSection: ConfigSection<MqttRaw, MqttSettings> = {
  defaults: {
    mqttHost: '',
    mqttPort: 1883,
    mqttClientId: '',
    mqttUser: '',
    mqttPassword: '',
    mqttKeepalive: 60,
    mqttClean: false, // the broker keeps QoS 1 messages for the device while it is away
    mqttMaxPacket: DEFAULT_LIMITS.maxPacket,
    mqttQueueLength: DEFAULT_LIMITS.queueLength,
    mqttQueueBytes: DEFAULT_LIMITS.queueBytes,
    mqttInflight: DEFAULT_LIMITS.inflight,
    mqttConnectTimeout: DEFAULT_LIMITS.connectTimeoutMs / 1000,
    mqttPingTimeout: DEFAULT_LIMITS.pingTimeoutMs / 1000,
    mqttAckTimeout: DEFAULT_LIMITS.ackTimeoutMs / 1000,
    mqttRetryMin: DEFAULT_LIMITS.retryMinMs / 1000,
    mqttRetryMax: DEFAULT_LIMITS.retryMaxMs / 1000,
  },
  secrets: ['mqttPassword'],
  checks: {
    mqttHost: hostOrOff,
    mqttPort: (v) => intIn(v, 1, 65535),
    mqttClientId: (v: unknown) => (typeof v === 'string' && /^[\x21-\x7e]{0,64}$/.test(v) ? undefined : 'a client id of at most 64 printable ASCII characters'),
    mqttUser: (v) => stringMax(v, 128),
    mqttPassword: (v) => stringMax(v, 128),
    mqttKeepalive: (v) => intIn(v, 0, 3600, ' seconds, 0 = off'),
    mqttClean: bool,
    mqttMaxPacket: (v) => intIn(v, 64, 1 << 20, ' bytes'),
    mqttQueueLength: (v) => intIn(v, 1, 1000, ' messages'),
    mqttQueueBytes: (v) => intIn(v, 256, 1 << 20, ' bytes'),
    mqttInflight: (v) => intIn(v, 1, 100, ' messages'),
    mqttConnectTimeout: (v) => intIn(v, 5, 600, ' seconds'),
    mqttPingTimeout: (v) => intIn(v, 5, 600, ' seconds'),
    mqttAckTimeout: (v) => intIn(v, 5, 3600, ' seconds'),
    mqttRetryMin: (v) => intIn(v, 1, 3600, ' seconds'),
    mqttRetryMax: (v) => intIn(v, 1, 86400, ' seconds'),
  },
  cross(raw, issues) {
    if (raw.mqttRetryMax < raw.mqttRetryMin) issues.error('config.mqttRetryMax: expected at least mqttRetryMin');
    if (raw.mqttHost !== '' && raw.mqttClientId === '' && !raw.mqttClean) issues.error('config.mqttClientId: a persistent session (mqttClean false) needs a client id');
    if (raw.mqttInflight > raw.mqttQueueLength) issues.error('config.mqttInflight: expected at most mqttQueueLength');
  },
  parse(raw) {
    return {
      enabled: raw.mqttHost !== '',
      host: raw.mqttHost,
      port: raw.mqttPort,
      id: raw.mqttClientId,
      user: raw.mqttUser || undefined,
      password: raw.mqttPassword || undefined,
      keepalive: raw.mqttKeepalive * 1000,
      clean: raw.mqttClean,
      limits: {
        ...DEFAULT_LIMITS,
        maxPacket: raw.mqttMaxPacket,
        queueLength: raw.mqttQueueLength,
        queueBytes: raw.mqttQueueBytes,
        inflight: raw.mqttInflight,
        connectTimeoutMs: raw.mqttConnectTimeout * 1000,
        pingTimeoutMs: raw.mqttPingTimeout * 1000,
        ackTimeoutMs: raw.mqttAckTimeout * 1000,
        retryMinMs: raw.mqttRetryMin * 1000,
        retryMaxMs: raw.mqttRetryMax * 1000,
      },
    };
  },
};
