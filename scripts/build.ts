/** `npm run build`: the device bundle for XS and the Node simulator. */
import { buildDevice } from './build-lib.ts';

await buildDevice({ entry: 'src/index.ts', outfile: 'build/device/ikelet.js' });
await buildDevice({ entry: 'src/index.ts', outfile: 'build/device/ikelet.min.js', minify: true });
console.log('built build/device/ikelet.js (XS device bundle)');
