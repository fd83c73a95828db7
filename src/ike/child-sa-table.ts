/**
 * The one CHILD SA table: every ESP SA pair of the tunnel, keyed by our inbound SPI, owned here.
 * IKE asks it to install and retire pairs; the ESP path asks it which SA opens an inbound packet
 * and which one protects outbound traffic. Make-before-break: a pair a rekey replaced stays for
 * inbound until its DELETE exchange is done; a retired or cleared pair has its keys zeroed.
 */
import type { ChildSa } from './child-sa.ts';

export class ChildSaTable {
  private readonly byInbound = new Map<number, ChildSa>();
  private outbound: ChildSa | undefined;
  private readonly listeners: Array<(current: ChildSa | undefined, now: number) => void> = [];

  /** The pair all outbound traffic uses. */
  get current(): ChildSa | undefined {
    return this.outbound;
  }

  /** The pair whose inbound SA has this SPI. */
  inbound(spi: number): ChildSa | undefined {
    return this.byInbound.get(spi >>> 0);
  }

  /** The pair the gateway knows by this SPI (its inbound, our outbound). */
  byOutbound(spi: number): ChildSa | undefined {
    for (const c of this.byInbound.values()) if (c.spiOut === spi >>> 0) return c;
    return undefined;
  }

  /** The current pair first, then those being deleted. */
  all(): ChildSa[] {
    const rest = [...this.byInbound.values()].filter((c) => c !== this.outbound);
    return this.outbound ? [this.outbound, ...rest] : rest;
  }

  /** Replaced by a rekey and waiting for its DELETE: receives only. */
  isRetiring(child: ChildSa): boolean {
    return child !== this.outbound && this.byInbound.get(child.spiIn) === child;
  }

  /** Called with the new current pair whenever it changes (the tunnel moves its inner address, DNS, MSS). */
  onChange(listener: (current: ChildSa | undefined, now: number) => void): void {
    this.listeners.push(listener);
  }

  /** `child` carries all outbound traffic from now on; the pair it replaces keeps receiving until retired. */
  use(child: ChildSa, now: number): void {
    this.byInbound.set(child.spiIn, child);
    this.outbound = child;
    for (const l of this.listeners) l(child, now);
  }

  /** Receives only, until deleted (a rekey collision's redundant pair). */
  receiveOnly(child: ChildSa): void {
    this.byInbound.set(child.spiIn, child);
  }

  /** Deleted at both ends: gone, keys zeroed. */
  retire(child: ChildSa): void {
    if (this.byInbound.get(child.spiIn) !== child) return;
    this.byInbound.delete(child.spiIn);
    child.wipe();
  }

  /** The IKE SA is gone, and every pair with it. */
  clear(now: number): void {
    for (const c of this.byInbound.values()) c.wipe();
    this.byInbound.clear();
    const had = this.outbound !== undefined;
    this.outbound = undefined;
    if (had) for (const l of this.listeners) l(undefined, now);
  }
}
