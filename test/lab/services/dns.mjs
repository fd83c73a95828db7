// The private network's DNS server: answers A queries from a fixed table of lab names
// (NXDOMAIN otherwise) and prints one line per query ("query NAME from ADDR").
import dgram from 'node:dgram';

const [address = '0.0.0.0', port = '53'] = process.argv.slice(2);
const RECORDS = {
  'echo.lab.example': '198.51.100.10',
  'broker.lab.example': '198.51.100.20',
  'firmware.lab.example': '198.51.100.30',
  'fw.lab.example': '198.51.100.30',
  'hostile-broker.lab.example': '198.51.100.21',
  'hostile-fw.lab.example': '198.51.100.31',
};

function readName(msg, offset) {
  const labels = [];
  while (offset < msg.length && msg[offset] !== 0) {
    const len = msg[offset];
    labels.push(msg.subarray(offset + 1, offset + 1 + len).toString('latin1'));
    offset += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: offset + 1 };
}

const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  if (msg.length < 17) return;
  const { name, end } = readName(msg, 12);
  const question = msg.subarray(12, end + 4);
  const qtype = msg.readUInt16BE(end);
  process.stdout.write(`query ${name} from ${rinfo.address}\n`);
  const address = RECORDS[name];
  const answer = address && qtype === 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180 | (address ? 0 : 3), 2); // response, RD, RA, rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answer ? 1 : 0, 6);
  const parts = [header, question];
  if (answer) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(4, 10);
    address.split('.').forEach((octet, i) => (rr[12 + i] = Number(octet)));
    parts.push(rr);
  }
  socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
});
socket.bind(Number(port), address, () => process.stdout.write(`listening ${address}:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
