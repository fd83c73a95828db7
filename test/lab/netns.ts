/**
 * Network namespaces of one lab run. Names carry the owning PID so a later run can
 * recognise (and remove) namespaces whose owner died without cleaning up.
 */
import { run } from './processes.ts';

export const LAB_PREFIX = 'ikl';

export function namespaceName(ownerPid: number, run: number, role: string): string {
  return `${LAB_PREFIX}${ownerPid}r${run}-${role}`;
}

export async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

export async function createNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Kills whatever still runs inside the namespace (only lab processes live there), then deletes it. */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = (await run('ip', ['netns', 'pids', name], { allowFail: true })).split('\n').map(Number).filter((n) => n > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await run('ip', ['netns', 'delete', name], { allowFail: true });
}

export function inNamespace(name: string, command: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', name, command, ...args]];
}

export async function nsRun(name: string, command: string, ...args: string[]): Promise<string> {
  return run('ip', ['netns', 'exec', name, command, ...args]);
}

/** Removes namespaces left behind by lab runs whose owner process no longer exists. */
export async function removeStaleNamespaces(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNamespaces()) {
    const m = new RegExp(`^${LAB_PREFIX}(\\d+)r\\d+-`).exec(name);
    if (!m) continue;
    const owner = Number(m[1]);
    if (owner === process.pid || processAlive(owner)) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
