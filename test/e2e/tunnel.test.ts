/** The tunnel end to end with the agent in Node (hosts/sim). Cases: tunnel-cases.ts. */
import { nodeHost } from './device-hosts.ts';
import { defineTunnelTests } from './tunnel-cases.ts';

defineTunnelTests(nodeHost);
