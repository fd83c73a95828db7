/** TCP through the tunnel end to end with the agent inside the XS engine (hosts/xs), same cases as in Node. */
import { xsHost } from './device-hosts.ts';
import { defineTcpTests } from './tcp-cases.ts';

defineTcpTests(xsHost);
