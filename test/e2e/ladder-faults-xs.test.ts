/**
 * Recovery-ladder faults with the agent inside XS (xsnap): the ladder's rungs without power pins (the
 * XS host has no modemPins yet: the wedged case is Node only). Cases: ladder-cases.ts; IKELET_LADDER=a,b runs only those.
 */
import { defineLadderTests } from './ladder-cases.ts';
import { xsHost } from './device-hosts.ts';

defineLadderTests(xsHost, process.env.IKELET_LADDER?.split(',') ?? ['lcp-terminate', 'sim-deactivated', 'silent-stall']);
