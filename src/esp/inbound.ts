/** Inbound SA lookup by SPI: during a rekey the old and the new SA are both live. */
import type { DropCounter } from '../util/log.ts';
import { readU32 } from '../util/bytes.ts';
import { ESP_HEADER_LENGTH, EspDrop } from './constants.ts';
import type { EspInboundSa } from './sa.ts';
import { dropped, hexSpi } from './sa.ts';

export interface EspDelivery {
  sa: EspInboundSa;
  /** The inner IPv4 packet (may carry TFC padding after the IP total length). */
  inner: Uint8Array;
}

export class EspInboundTable {
  private readonly sas = new Map<number, EspInboundSa>();

  constructor(private readonly drops: DropCounter) {}

  add(sa: EspInboundSa): void {
    this.sas.set(sa.spi, sa);
  }

  remove(spi: number): boolean {
    return this.sas.delete(spi >>> 0);
  }

  get(spi: number): EspInboundSa | undefined {
    return this.sas.get(spi >>> 0);
  }

  get size(): number {
    return this.sas.size;
  }

  /** One ESP packet (the UDP/4500 payload or IP protocol 50 payload) in; the inner packet out, or undefined when dropped. */
  input(packet: Uint8Array): EspDelivery | undefined {
    if (packet.length < ESP_HEADER_LENGTH) return dropped(this.drops, EspDrop.TRUNCATED, `${packet.length} bytes`);
    const spi = readU32(packet, 0);
    const sa = this.sas.get(spi);
    if (!sa) return dropped(this.drops, EspDrop.UNKNOWN_SPI, hexSpi(spi));
    const inner = sa.open(packet);
    return inner ? { sa, inner } : undefined;
  }
}
