/**
 * ECMA-419 DNS resolver (embedded:network/dns/resolver/udp): resolve({host, onResolved(host,
 * address), onError(host, error)}) over the DNS servers the gateway handed out (the `servers`
 * and `socket` options Moddable's clients pass are accepted and not needed). Callbacks always
 * come in a later agent turn, also for address literals; while the tunnel is down a request
 * waits for it (netTunnelWait).
 */
import type { LookupHandle } from '../../dns/resolver.ts';
import { NetError } from '../errors.ts';
import type { Network } from '../network.ts';

export interface ResolveOptions {
  host: string;
  onResolved?: (this: ResolverSocket, host: string, address: string, now: number) => void;
  onError?: (this: ResolverSocket, host: string, error: NetError, now: number) => void;
}

export class ResolverSocket {
  target: unknown;
  private readonly pending = new Set<{ cancel(): void }>();

  constructor(protected readonly network: Network, options: { target?: unknown } = {}) {
    this.target = options?.target;
  }

  resolve(options: ResolveOptions): void {
    const host = options?.host;
    if (typeof host !== 'string' || host === '') throw new NetError('invalid', 'resolve: host required');
    const { onResolved, onError } = options;
    const network = this.network;
    let lookup: LookupHandle | undefined;
    const request = {
      cancel: () => {
        lookup?.cancel();
        network.cancelWait(start);
      },
    };
    const fail = (error: NetError) => {
      this.pending.delete(request);
      network.post((now) => onError?.call(this, host, error, now));
    };
    const start = (now: number) => {
      lookup = network.dns.lookup(host, now, (result, t) =>
        network.within(t, () => {
          if (!this.pending.has(request)) return;
          if ('error' in result) return fail(new NetError('dns', `${host}: ${result.error}`));
          this.pending.delete(request);
          network.post((now) => onResolved?.call(this, host, result.addresses[0]!, now));
        }),
      );
    };
    this.pending.add(request);
    network.run((now) => (network.up ? start(now) : network.waitForTunnel({ ready: start, fail }, now)));
  }

  /** Cancels every pending request: no callback follows. */
  close(): void {
    for (const r of this.pending) r.cancel();
    this.pending.clear();
  }
}
