import { XsAgentHost } from './agent-host.ts';
import { configFromManifest } from '../../scripts/manifest.ts';
const h = new XsAgentHost({ config: configFromManifest('manifests/lab/manifest.json'), serial: { write(b) { console.log('W', b); }, onReceive() {} }, log: (...a) => console.log('LOG', a), deviceModule: 'hosts/xs/fixtures/echo-agent.ts', onFault: (f) => console.log('FAULT', f), onTurn: (t) => console.log('TURN', t) });
await h.start();
console.log(h.faults, h.meterUsage);
await h.stop();
