/** The tunnel end to end with the agent inside the XS engine (hosts/xs), same cases as in Node. */
import { xsHost } from './device-hosts.ts';
import { defineTunnelTests } from './tunnel-cases.ts';

defineTunnelTests(xsHost);
