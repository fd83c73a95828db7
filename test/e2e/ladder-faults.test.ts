/** Recovery-ladder faults with the agent in Node (hosts/sim). Cases: ladder-cases.ts; IKELET_LADDER=a,b runs only those. */
import { defineLadderTests } from './ladder-cases.ts';
import { nodeHost } from './device-hosts.ts';

defineLadderTests(nodeHost, process.env.IKELET_LADDER?.split(','));
