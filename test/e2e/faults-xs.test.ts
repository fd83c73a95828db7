/** Fault scenarios with the agent inside XS (xsnap): the agent's own recovery (a lost gateway, a lost call and its held datagrams); the rest is the same JS, proven in Node. Cases: fault-cases.ts; IKELET_FAULTS=a,b runs only those. */
import { defineFaultTests } from './fault-cases.ts';
import { xsHost } from './device-hosts.ts';

defineFaultTests(xsHost, process.env.IKELET_FAULTS?.split(',') ?? ['gateway-restart', 'queue-across-carrier-loss', 'carrier-loss-mobike', 'gateway-restart-while-down']);
