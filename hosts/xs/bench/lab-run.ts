/**
 * One run of the agent inside XS against the lab, for `npm run bench:xs`: every XS turn is
 * recorded with its computrons, the agent events reported during it, the serial bytes in and
 * out, its info logs and the heap figures after it. Events are reported (issueCommand) inside
 * the turn and onTurn fires once the turn ends, so everything reported since the previous
 * onTurn belongs to the turn just finished.
 */
import path from 'node:path';
import type { AgentEvent } from '../../../src/agent/agent.ts';
import type { ManifestConfig } from '../../../src/config/validate.ts';
import type { Serial } from '../../../src/platform.ts';
import { EventLog } from '../../sim/event-log.ts';
import { PtySerial } from '../../sim/pty-serial.ts';
import { XsAgentHost, type XsFault } from '../agent-host.ts';
import { bundleForXs, REPO_ROOT } from '../bundle.ts';
import type { XsMemory } from '../worker.ts';

export interface TurnRecord {
  index: number;
  /** 'load', 'start', 'receive', 'timer', 'stop'. */
  kind: string;
  compute: number;
  /** Agent event types reported during the turn. */
  events: AgentEvent['type'][];
  /** Receive turns: bytes of the serial chunk delivered. */
  rxBytes: number | undefined;
  /** Serial bytes the agent wrote during the turn. */
  txBytes: number;
  /** Log lines (info and above) written during the turn. */
  logs: string[];
  /** Heap figures after the turn. */
  memory: XsMemory | undefined;
}

export interface LabRunResult {
  turns: TurnRecord[];
  events: AgentEvent[];
  faults: XsFault[];
  /** With `liveHeap`: heap figures right after a full GC, once started and once `until` was seen. */
  liveHeap?: { afterStart: XsMemory | undefined; atUntil: XsMemory | undefined };
}

export interface LabRunOptions {
  /**
   * Run the agent bundle with gc-hook.ts and collect garbage right after start and once `until`
   * was seen, for the live heap. The hook adds a few computrons to every turn and the first GC
   * turn delays the agent a little: take computrons from a run without it.
   */
  liveHeap?: boolean;
}

/** The agent's XS program (as agentBundle() builds it) plus gc-hook.ts. */
function gcHookBundle(): Promise<string> {
  const here = path.join(REPO_ROOT, 'hosts/xs');
  const imports = [
    `import * as device from ${JSON.stringify(path.join(REPO_ROOT, 'src/index.ts'))};`,
    `import { installXsHost } from ${JSON.stringify(path.join(here, 'xs-main.ts'))};`,
    `import { gcOnFirstStops } from ${JSON.stringify(path.join(here, 'bench/gc-hook.ts'))};`,
  ];
  return bundleForXs({ contents: `${imports.join('\n')}\ninstallXsHost(device);\ngcOnFirstStops(2);\n` });
}

/**
 * Starts the agent in XS on the lab's serial line, waits for `until` (or throws after
 * `timeoutMs`), then stops it gracefully and ends the worker, also on failure.
 */
export async function runInLab(serialPath: string, config: ManifestConfig, until: (e: AgentEvent) => boolean, what: string, timeoutMs: number, options: LabRunOptions = {}): Promise<LabRunResult> {
  const code = options.liveHeap ? await gcHookBundle() : undefined;
  const pty = new PtySerial(serialPath, { baud: config.uartBaud });
  const events = new EventLog();
  const turns: TurnRecord[] = [];
  let reported: AgentEvent['type'][] = [];
  let logs: string[] = [];
  let written = 0;
  const chunks: number[] = [];
  // The host enqueues one receive turn per chunk, in order, so chunk sizes pair up with receive turns.
  const serial: Serial = {
    write: (bytes) => {
      written += bytes.length;
      pty.write(bytes);
    },
    queued: () => pty.queued(),
    onWritable: (handler) => pty.onWritable(handler),
    onReceive: (handler) =>
      pty.onReceive((bytes) => {
        chunks.push(bytes.length);
        handler(bytes);
      }),
  };
  const host: XsAgentHost = new XsAgentHost({
    config,
    serial,
    ...(code !== undefined ? { code } : {}),
    log: (level, component, message) => {
      if (level !== 'debug') logs.push(`${level} ${component}: ${message}`);
    },
    report: (e) => {
      reported.push(e.type);
      events.push(e);
    },
    onTurn: (t) => {
      turns.push({ index: turns.length, kind: t.kind, compute: t.compute, events: reported, rxBytes: t.kind === 'receive' ? chunks.shift() : undefined, txBytes: written, logs, memory: host.meterUsage.memory });
      reported = [];
      logs = [];
      written = 0;
    },
  });
  try {
    // With gc-hook.ts, stopAgent() is taken as one GC turn and the agent keeps running.
    const collect = async () => {
      host.stopAgent();
      await host.idle();
      return turns.filter((t) => t.kind === 'stop').at(-1)?.memory;
    };
    await host.start();
    const afterStart = options.liveHeap ? await collect() : undefined;
    await events.waitFor(until, timeoutMs, what);
    await host.idle();
    const atUntil = options.liveHeap ? await collect() : undefined;
    return { turns, events: events.events, faults: host.faults, ...(options.liveHeap ? { liveHeap: { afterStart, atUntil } } : {}) };
  } finally {
    host.stopAgent();
    await events.waitFor((e) => e.type === 'link-stopped', 10_000, 'the link to stop').catch(() => {});
    await host.stop().catch(() => {});
    pty.close();
  }
}

/** Index of the first turn that reported an event of `type`, after turn `from`. */
export function turnOf(turns: readonly TurnRecord[], type: AgentEvent['type'], from = 0): number {
  const i = turns.findIndex((t) => t.index >= from && t.events.includes(type));
  if (i < 0) throw new Error(`no XS turn reported '${type}'`);
  return i;
}

export function longestTurn(turns: readonly TurnRecord[]): TurnRecord {
  return turns.reduce((a, b) => (b.compute > a.compute ? b : a));
}

/** One line: what the turn was and did. */
export function describeTurn(t: TurnRecord): string {
  const parts = [`#${t.index} ${t.kind}${t.rxBytes !== undefined ? ` of a ${t.rxBytes} B serial chunk` : ''}`];
  if (t.events.length) parts.push(`events ${t.events.join(', ')}`);
  if (t.txBytes) parts.push(`wrote ${t.txBytes} B`);
  const first = t.logs[0];
  if (first) parts.push(`log "${first.length > 70 ? `${first.slice(0, 70)}…` : first}"${t.logs.length > 1 ? ` (+${t.logs.length - 1})` : ''}`);
  return parts.join('; ');
}

/**
 * What a turn did, in protocol terms, from the events it reported and what it logged; `next`, the
 * turn after it, names the key-exchange steps that log nothing (they end in the next turn's log).
 */
export function whatTurnDid(t: TurnRecord, next?: TurnRecord): string {
  const logged = (text: string) => t.logs.some((l) => l.includes(text));
  const nextLogged = (text: string) => next?.logs.some((l) => l.includes(text)) ?? false;
  const did: string[] = [];
  if (t.kind === 'load') return 'load: the bundle evaluated (a Moddable build has it preloaded in flash)';
  if (t.kind === 'start') did.push('start: agent built, first AT command');
  if (t.events.includes('ike-connecting')) did.push('IKE_SA_INIT: key pair made, request sent');
  if (nextLogged('IKE_SA_INIT done')) did.push('IKE_SA_INIT reply checked a turn earlier: DH shared secret');
  if (logged('IKE_SA_INIT done')) did.push('IKE_SA_INIT: SKEYSEED and the SA keys');
  if (next?.events.includes('child-up') && t.kind === 'receive') did.push('IKE_AUTH reply: AUTH checked');
  if (t.events.includes('child-up')) did.push('IKE_AUTH reply (AUTH checked a turn earlier): CHILD SA keys, ESP SAs installed');
  if (next?.events.includes('ike-rekeyed')) did.push('IKE SA rekey: DH shared secret');
  if (t.events.includes('probe-resolved')) did.push('DNS answer through the tunnel');
  if (t.events.includes('child-rekeyed')) did.push('CHILD SA rekeyed');
  if (t.events.includes('ike-rekeyed')) did.push('IKE SA rekeyed');
  if (t.events.includes('probe-result')) did.push('probe finished');
  if (t.events.includes('link-up')) did.push('PPP: IPCP up');
  if (!did.length) {
    if (t.kind === 'receive') did.push(`serial in: ${t.rxBytes ?? 0} B${t.txBytes ? `, ${t.txBytes} B out` : ''} (PPP/IP/ESP)`);
    else if (t.kind === 'timer') did.push(`timer${t.txBytes ? `: ${t.txBytes} B out` : ''}`);
    else did.push(t.kind);
  }
  return did.join('; ');
}
