/**
 * The one CHILD SA table: every ESP SA pair of the tunnel, keyed by our inbound SPI, owned here.
 * IKE asks it to install and retire pairs; the ESP path asks it which SA opens an inbound packet
 * and which one protects outbound traffic. Make-before-break: a pair a rekey replaced stays for
 * inbound until its DELETE exchange is done; a retired or cleared pair has its keys zeroed.
 * A gateway that never deletes the pairs its rekeys replaced cannot make them pile up: past
 * MAX_RETIRING the oldest goes (its late packets are dropped as for an unknown SPI).
 */
import type { ChildSa } from './child-sa.ts';

/** Replaced pairs kept receiving at once: a rekey's old pair, a collision's redundant one, a re-authenticated SA's. */
export const MAX_RETIRING = 4;

export class ChildSaTable {
  private readonly byInbound = new Map<number, ChildSa>();
  private outbound: ChildSa | undefined;
  /** Replaced pairs let go undeleted because MAX_RETIRING were already kept. */
  evicted = 0;
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
    this.bound();
    for (const l of this.listeners) l(child, now);
  }

  /** Receives only, until deleted (a rekey collision's redundant pair). */
  receiveOnly(child: ChildSa): void {
    this.byInbound.set(child.spiIn, child);
    this.bound();
  }

  /** Deleted at both ends: gone, keys zeroed. */
  retire(child: ChildSa): void {
    if (this.byInbound.get(child.spiIn) !== child) return;
    this.byInbound.delete(child.spiIn);
    child.wipe();
  }

  /** Retires the oldest replaced pairs beyond MAX_RETIRING (the map keeps insertion order). */
  private bound(): void {
    let retiring = this.byInbound.size - (this.outbound ? 1 : 0);
    for (const c of this.byInbound.values()) {
      if (retiring <= MAX_RETIRING) return;
      if (c === this.outbound) continue;
      this.retire(c);
      this.evicted++;
      retiring--;
    }
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
