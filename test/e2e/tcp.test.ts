/** TCP through the tunnel end to end with the agent in Node (hosts/sim). Cases: tcp-cases.ts. */
import { nodeHost } from './device-hosts.ts';
import { defineTcpTests } from './tcp-cases.ts';

defineTcpTests(nodeHost);
