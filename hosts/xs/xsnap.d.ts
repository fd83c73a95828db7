/** The part of @agoric/xsnap's API the xs host uses (the package ships JS without typings). */
declare module '@agoric/xsnap' {
  import type { spawn } from 'node:child_process';

  export interface MeterUsage {
    meterType: string;
    compute: number | null;
    allocate: number | null;
    currentHeapCount: number | null;
  }
  export interface RunResult<T> {
    reply: T;
    meterUsage: MeterUsage;
  }
  export interface XsnapOptions {
    os: string;
    spawn: typeof spawn;
    fs: object;
    name?: string;
    handleCommand?: (request: Uint8Array) => Promise<Uint8Array> | Uint8Array;
    stdout?: 'ignore' | 'inherit' | 'pipe';
    stderr?: 'ignore' | 'inherit' | 'pipe';
    meteringLimit?: number;
    debug?: boolean;
  }
  export interface XsnapWorker {
    evaluate(code: string): Promise<RunResult<Uint8Array>>;
    issueCommand(message: Uint8Array): Promise<RunResult<Uint8Array>>;
    close(): Promise<void>;
    terminate(): Promise<void>;
  }
  export function xsnap(options: XsnapOptions): Promise<XsnapWorker>;
}
