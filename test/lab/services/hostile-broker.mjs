// A hostile "MQTT broker" for robustness tests. The client id of each CONNECT picks what it does
// (so a test chooses by configuring the device); one line per connection: "mode NAME from ADDR".
//   oversized      CONNACK, then a PUBLISH announcing 268435455 bytes, then junk while the client listens
//   bad-length     CONNACK, then a remaining length of five bytes
//   bad-utf8       CONNACK, then a PUBLISH whose topic is an overlong UTF-8 sequence
//   unknown-type   CONNACK, then packet type 15
//   truncated      CONNACK, then half a PUBLISH, then close
//   no-connack     nothing at all after CONNECT
//   refuse-N       CONNACK with return code N
//   garbage        random bytes from the start
import net from 'node:net';

const [address = '0.0.0.0', port = '1883'] = process.argv.slice(2);
const CONNACK_OK = Buffer.from([0x20, 2, 0, 0]);
const MAX_JUNK = 16 << 20; // never more than this per connection

function clientId(buf) {
  // Fixed header (1 + 1..4 length bytes), "MQTT" name (6), level, flags, keepalive (4), then the id.
  let i = 1;
  while (i < 5 && buf[i] & 0x80) i++;
  const start = i + 1 + 10;
  if (buf.length < start + 2) return undefined;
  const n = buf.readUInt16BE(start);
  return buf.length >= start + 2 + n ? buf.subarray(start + 2, start + 2 + n).toString('latin1') : undefined;
}

function junk(socket) {
  let sent = 0;
  const more = () => {
    while (!socket.destroyed && sent < MAX_JUNK) {
      sent += 4096;
      if (!socket.write(Buffer.alloc(4096, 0x41))) return socket.once('drain', more);
    }
  };
  more();
}

const server = net.createServer((socket) => {
  let buffer = Buffer.alloc(0);
  let mode;
  socket.on('error', () => {});
  socket.on('data', (d) => {
    if (mode) return;
    buffer = Buffer.concat([buffer, d]).subarray(0, 4096);
    const id = clientId(buffer);
    if (id === undefined) return;
    mode = id;
    process.stdout.write(`mode ${mode} from ${socket.remoteAddress}\n`);
    const refuse = /^refuse-(\d+)$/.exec(mode);
    if (refuse) return socket.end(Buffer.from([0x20, 2, 0, Number(refuse[1])]));
    switch (mode) {
      case 'oversized':
        socket.write(Buffer.concat([CONNACK_OK, Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]));
        return junk(socket);
      case 'bad-length':
        return socket.write(Buffer.concat([CONNACK_OK, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]));
      case 'bad-utf8':
        return socket.write(Buffer.concat([CONNACK_OK, Buffer.from([0x30, 6, 0, 2, 0xc0, 0xaf, 0x68, 0x69])]));
      case 'unknown-type':
        return socket.write(Buffer.concat([CONNACK_OK, Buffer.from([0xf0, 0x00])]));
      case 'truncated':
        return socket.end(Buffer.concat([CONNACK_OK, Buffer.from([0x30, 20, 0, 5, 0x61, 0x2f])]));
      case 'no-connack':
        return;
      case 'garbage':
      default: {
        const bytes = Buffer.alloc(256);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 89 + 7) & 0xff;
        return socket.write(bytes);
      }
    }
  });
});
server.listen(Number(port), address, () => process.stdout.write(`listening ${address}:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
