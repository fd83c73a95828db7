/** The default proposals against gateway profiles, the agent in Node (hosts/sim). Cases: gateway-cases.ts. */
import { nodeHost } from './device-hosts.ts';
import { defineGatewayTests } from './gateway-cases.ts';

defineGatewayTests(nodeHost);
