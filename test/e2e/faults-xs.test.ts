/** Fault scenarios with the agent inside XS (xsnap): the ones that exercise the agent's own recovery. Cases: fault-cases.ts; IKELET_FAULTS=a,b runs only those. */
import { defineFaultTests } from './fault-cases.ts';
import { xsHost } from './device-hosts.ts';

defineFaultTests(xsHost, process.env.IKELET_FAULTS?.split(',') ?? ['gateway-restart', 'nat-rebinding', 'reauth', 'queue-across-carrier-loss']);
