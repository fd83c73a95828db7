/**
 * Taps the serial line in both directions, decodes the HDLC framing with the agent's own
 * decoder, and writes each PPP frame (normalised to ff 03 + 16-bit protocol) to a pcap.
 * AT chatter before data mode is not PPP and is skipped by the decoder.
 */
import { HdlcDecoder, parseFrame } from '../../src/ppp/hdlc.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';
import { PcapWriter } from './pcap.ts';

export class PcapTap {
  private readonly writer: PcapWriter;
  private readonly decoders: Record<'rx' | 'tx', HdlcDecoder>;

  constructor(path: string) {
    this.writer = new PcapWriter(path);
    const decoder = (dir: 'rx' | 'tx') => {
      const d = new HdlcDecoder(4096, new DropCounter(silentLogger('pcap')), (frame) => {
        const packet = parseFrame(frame);
        if (!packet) return;
        const out = new Uint8Array(4 + packet.info.length);
        out.set([0xff, 0x03, packet.protocol >>> 8, packet.protocol & 0xff]);
        out.set(packet.info, 4);
        this.writer.frame(dir, out);
      });
      // The tap does not follow LCP's ACCM negotiation: take control characters as sent.
      d.rxAccm = 0;
      return d;
    };
    this.decoders = { rx: decoder('rx'), tx: decoder('tx') };
  }

  bytes(direction: 'rx' | 'tx', bytes: Uint8Array): void {
    this.decoders[direction].push(bytes);
  }

  close(): void {
    this.writer.close();
  }
}
