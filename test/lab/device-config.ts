/** The agent configuration that matches the lab's gateway (DEFAULT_GATEWAY). */
import type { AgentConfig } from '../../src/config.ts';
import { DEFAULT_GATEWAY } from './strongswan.ts';
import { GATEWAY_VIA_SLIRP, PRIVATE_NET } from './lab.ts';

export function labDeviceConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    apn: 'iot.lab.example',
    simPin: '',
    registrationTimeout: 60,
    dialString: '*99#',
    pppAuth: 'none',
    pppUser: '',
    pppPassword: '',
    lcpEchoInterval: 10,
    lcpEchoFailures: 4,
    mru: 1500,
    gateway: GATEWAY_VIA_SLIRP,
    localId: DEFAULT_GATEWAY.remoteId,
    remoteId: DEFAULT_GATEWAY.localId,
    psk: DEFAULT_GATEWAY.psk,
    ikeProposals: DEFAULT_GATEWAY.ikeProposals,
    espProposals: DEFAULT_GATEWAY.espProposals,
    ikeLifetime: 14400,
    childLifetime: 3600,
    dpdInterval: 0,
    natKeepalive: 20,
    remoteTs: [PRIVATE_NET],
    maxAttempts: 3,
    uartPort: 1,
    uartTx: 17,
    uartRx: 16,
    uartRts: -1,
    uartCts: -1,
    uartBaud: 115200,
    logLevel: process.env.IKELET_LOG === 'debug' ? 'debug' : 'info',
    probeTarget: '',
    probeCount: 0,
    ...overrides,
  };
}
