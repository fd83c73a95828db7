/** Fault scenarios with the agent in Node (hosts/sim). Cases: fault-cases.ts; IKELET_FAULTS=a,b runs only those. */
import { defineFaultTests } from './fault-cases.ts';
import { nodeHost } from './device-hosts.ts';

defineFaultTests(nodeHost, process.env.IKELET_FAULTS?.split(','));
