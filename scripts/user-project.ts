/**
 * A user's Moddable project on ikelet, as the tests build it: `npm run build:ikelet` from the
 * project's manifest into an ikelet tree's build/ikelet (a temporary copy of the include manifest,
 * so tests never write into the checkout), then the SDK's tools with IKELET pointing there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildIkelet } from './build-esp32.ts';
import { REPO_ROOT } from './moddable-sdk.ts';

/** Builds ikelet's part for `project` (a folder with the user's manifest.json) into `work`; returns IKELET for mcconfig and the build's warnings. */
export async function ikeletTreeFor(project: string, work: string): Promise<{ ikelet: string; warnings: string[] }> {
  const ikelet = path.join(work, 'ikelet');
  fs.mkdirSync(path.join(ikelet, 'manifests/ikelet'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'manifests/ikelet/manifest.json'), path.join(ikelet, 'manifests/ikelet/manifest.json'));
  const { warnings } = await buildIkelet(path.join(project, 'manifest.json'), path.join(ikelet, 'build/ikelet'));
  return { ikelet, warnings };
}
