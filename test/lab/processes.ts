/**
 * Processes the lab starts. Each is remembered by PID and killed by PID, never by name:
 * the lab must not touch anything it did not start.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface LabProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startProcess(name: string, command: string, args: string[], options: SpawnOptions = {}): LabProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString('latin1');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (e) => {
      output += `\nspawn error: ${e.message}`;
      resolve(-1);
    });
  });
  return { name, child, output: () => output, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; graceMs 0 = SIGKILL at once (a crash: the process gets no say). */
export async function stopProcess(p: LabProcess, graceMs = 2000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null || p.child.pid === undefined) return;
  if (graceMs === 0) {
    p.child.kill('SIGKILL');
    await p.exited;
    return;
  }
  p.child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([p.exited, timer])) === 'timeout') {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** Runs a command to completion and returns its stdout; rejects with all its output when it fails. */
export function run(command: string, args: string[], options: { allowFail?: boolean; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 || options.allowFail) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${(out + err).trim()}`));
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
