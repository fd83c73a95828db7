/**
 * The carrier: slirp-fullbolt as a userspace PPP peer that NATs its client's traffic into
 * the namespace it runs in. It needs a terminal, so socat gives it one and exposes the
 * other end as a pty link: that link is the "serial line" towards the carrier.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startProcess, stopProcess, waitFor, type LabProcess } from './processes.ts';

export const SLIRP_COMMAND = `slirp-fullbolt ppp`;

/** The socat arguments that run slirp on a pty; `first` is where socat's other side goes. */
export function slirpSocatArgs(first: string): string[] {
  return ['-d', first, `EXEC:${SLIRP_COMMAND},pty,raw,echo=0,stderr`];
}

export class Slirp {
  private process?: LabProcess;
  readonly ptyPath: string;

  constructor(
    readonly namespace: string,
    readonly dir: string,
  ) {
    this.ptyPath = path.join(dir, 'carrier-tty');
  }

  async start(): Promise<void> {
    this.process = startProcess('slirp', 'ip', ['netns', 'exec', this.namespace, 'socat', ...slirpSocatArgs(`PTY,link=${this.ptyPath},raw,echo=0`)]);
    await waitFor('the slirp pty', () => fs.existsSync(this.ptyPath) || this.exitedEarly(), 10_000);
  }

  private exitedEarly(): undefined {
    const p = this.process!;
    if (p.child.exitCode !== null) throw new Error(`slirp/socat exited (${p.child.exitCode}): ${p.output()}`);
    return undefined;
  }

  async stop(): Promise<void> {
    if (this.process) await stopProcess(this.process);
  }
}
