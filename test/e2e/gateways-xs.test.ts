/** The default proposals against gateway profiles, the agent inside XS (hosts/xs). Cases: gateway-cases.ts. */
import { xsHost } from './device-hosts.ts';
import { defineGatewayTests } from './gateway-cases.ts';

defineGatewayTests(xsHost);
