/**
 * IPv4 fragment reassembly sized for a device with little RAM: small datagrams only,
 * few at a time, bounded lifetime. Anything beyond the limits is dropped and counted.
 * Overlapping fragments abandon the datagram (the classic teardrop/evasion trick);
 * exact duplicates are ignored.
 */
import { earliest } from '../util/time.ts';
import { equalBytes } from '../util/bytes.ts';
import type { DropCounter } from '../util/log.ts';
import { addressFromBytes } from './address.ts';
import { IPV4_HEADER_LENGTH, type Ipv4Header } from './ipv4.ts';

export interface ReassemblyLimits {
  maxDatagram: number; // payload bytes of one reassembled datagram
  maxPending: number; // datagrams being reassembled at once
  maxFragments: number; // fragments per datagram
  timeoutMs: number; // from the first fragment seen
}

export const DEFAULT_REASSEMBLY_LIMITS: Readonly<ReassemblyLimits> = Object.freeze({ maxDatagram: 4096, maxPending: 4, maxFragments: 32, timeoutMs: 20_000 });

/** A whole datagram: header fields of the first fragment, `raw` = its header + first payload bytes (for ICMP quotes). */
export interface Datagram {
  header: Ipv4Header;
  payload: Uint8Array;
  raw: Uint8Array;
}

interface Piece {
  offset: number;
  data: Uint8Array;
}

interface Pending {
  expires: number;
  pieces: Piece[];
  received: number;
  total: number | undefined;
  first: Datagram | undefined;
  failed: boolean; // kept until expiry so the rest of a bad datagram is dropped cheaply
}

export const isFragment = (h: Ipv4Header): boolean => h.moreFragments || h.fragmentOffset !== 0;

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  private readonly limits: ReassemblyLimits;

  constructor(private readonly drops: DropCounter, limits: Partial<ReassemblyLimits> = {}) {
    this.limits = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Takes one fragment (views may alias the caller's buffer: kept data is copied); returns the datagram once whole. */
  input(fragment: Datagram, now: number): Datagram | undefined {
    const { header, payload } = fragment;
    const offset = header.fragmentOffset;
    const end = offset + payload.length;
    if (payload.length === 0) return this.dropped('fragment empty');
    if (header.moreFragments && payload.length % 8 !== 0) return this.dropped('fragment bad length');

    const key = `${addressFromBytes(header.src)}>${addressFromBytes(header.dst)}/${header.protocol}#${header.identification}`;
    let entry = this.pending.get(key);
    if (!entry) {
      if (this.pending.size >= this.limits.maxPending) this.evictOldest();
      entry = { expires: now + this.limits.timeoutMs, pieces: [], received: 0, total: undefined, first: undefined, failed: false };
      this.pending.set(key, entry);
    }
    if (entry.failed) return this.dropped('reassembly abandoned');
    if (end > this.limits.maxDatagram) return this.fail(entry, 'reassembly too big');
    if (entry.pieces.length >= this.limits.maxFragments) return this.fail(entry, 'reassembly too many fragments');

    if (!header.moreFragments) {
      if (entry.total !== undefined && entry.total !== end) return this.fail(entry, 'fragment inconsistent');
      if (entry.pieces.some((p) => p.offset + p.data.length > end)) return this.fail(entry, 'fragment inconsistent');
      entry.total = end;
    } else if (entry.total !== undefined && end > entry.total) {
      return this.fail(entry, 'fragment inconsistent');
    }

    for (const p of entry.pieces) {
      const pEnd = p.offset + p.data.length;
      if (p.offset === offset && pEnd === end && equalBytes(p.data, payload)) return this.dropped('fragment duplicate');
      if (offset < pEnd && p.offset < end) return this.fail(entry, 'fragment overlap');
    }

    entry.pieces.push({ offset, data: payload.slice() });
    entry.received += payload.length;
    if (offset === 0) entry.first = { header: copyHeader(header), payload: new Uint8Array(0), raw: fragment.raw.slice(0, header.headerLength + 8) };
    if (entry.total === undefined || entry.received !== entry.total || !entry.first) return undefined;

    // No overlaps and every piece inside [0, total): the byte count proves full coverage.
    this.pending.delete(key);
    const whole = new Uint8Array(entry.total);
    for (const p of entry.pieces) whole.set(p.data, p.offset);
    const h = entry.first.header;
    h.moreFragments = false;
    h.totalLength = h.headerLength + whole.length;
    return { header: h, payload: whole, raw: entry.first.raw };
  }

  deadline(): number | undefined {
    return earliest(...[...this.pending.values()].map((e) => e.expires));
  }

  onTimer(now: number): void {
    for (const [key, e] of this.pending) {
      if (e.expires > now) continue;
      this.pending.delete(key);
      if (!e.failed) this.drops.drop('reassembly timeout');
    }
  }

  private evictOldest(): void {
    // Map iteration order is insertion order, and every entry lives for the same timeout.
    const oldest = this.pending.keys().next();
    if (oldest.done) return;
    const e = this.pending.get(oldest.value)!;
    this.pending.delete(oldest.value);
    if (!e.failed) this.drops.drop('reassembly evicted');
  }

  private fail(entry: Pending, reason: string): undefined {
    entry.failed = true;
    entry.pieces = [];
    entry.first = undefined;
    return this.dropped(reason);
  }

  private dropped(reason: string): undefined {
    this.drops.drop(reason);
    return undefined;
  }
}

function copyHeader(h: Ipv4Header): Ipv4Header {
  return { ...h, src: h.src.slice(), dst: h.dst.slice() };
}

/** Splits an outgoing payload for a link MTU: offsets are multiples of 8, as the header requires. */
export function splitForMtu(payload: Uint8Array, mtu: number): { offset: number; data: Uint8Array; more: boolean }[] {
  const chunk = Math.floor((mtu - IPV4_HEADER_LENGTH) / 8) * 8;
  if (chunk <= 0) throw new Error(`mtu too small: ${mtu}`);
  const out: { offset: number; data: Uint8Array; more: boolean }[] = [];
  for (let offset = 0; offset < payload.length || offset === 0; offset += chunk) {
    const data = payload.subarray(offset, Math.min(payload.length, offset + chunk));
    out.push({ offset, data, more: offset + chunk < payload.length });
  }
  return out;
}
