/**
 * Writes the PPP link as a pcap that Wireshark/tshark open: LINKTYPE_PPP_WITH_DIR (204),
 * one record per PPP frame (address, control, protocol, information; FCS removed),
 * preceded by a direction byte (0 = received by the device, 1 = sent by it).
 */
import fs from 'node:fs';

const LINKTYPE_PPP_WITH_DIR = 204;

export class PcapWriter {
  private readonly fd: number;

  constructor(path: string) {
    this.fd = fs.openSync(path, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeInt32LE(0, 8);
    header.writeUInt32LE(0, 12);
    header.writeUInt32LE(65535, 16);
    header.writeUInt32LE(LINKTYPE_PPP_WITH_DIR, 20);
    fs.writeSync(this.fd, header);
  }

  /** A PPP frame as it appears on the link after HDLC decoding (ff 03 + protocol + info). */
  frame(direction: 'rx' | 'tx', frame: Uint8Array, wallMs = Date.now()): void {
    const record = Buffer.alloc(16 + 1 + frame.length);
    record.writeUInt32LE(Math.floor(wallMs / 1000), 0);
    record.writeUInt32LE(Math.floor((wallMs % 1000) * 1000), 4);
    record.writeUInt32LE(frame.length + 1, 8);
    record.writeUInt32LE(frame.length + 1, 12);
    record[16] = direction === 'tx' ? 1 : 0;
    record.set(frame, 17);
    fs.writeSync(this.fd, record);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
