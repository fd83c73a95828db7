// Connects from the private network to a TCP service on the device (its virtual IP), sends
// BYTES of the pattern, reads until the device closes, and prints one line:
//   "client ok sent N received M sha256 H"  or  "client error CODE"
// Usage: tcp-client.mjs ADDRESS PORT BYTES [TIMEOUT_S]
import net from 'node:net';
import { createHash } from 'node:crypto';

const [address, port, bytesText = '0', timeoutText = '60'] = process.argv.slice(2);
const total = Number(bytesText);
const hash = createHash('sha256');
let received = 0;
const pattern = (offset, length) => {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = ((offset + i) * 7 + ((offset + i) >> 8)) & 0xff;
  return b;
};
const timer = setTimeout(() => {
  process.stdout.write(`client error timeout after ${received} bytes\n`);
  process.exit(1);
}, Number(timeoutText) * 1000);
const socket = net.connect({ host: address, port: Number(port) }, () => {
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(16384, total - sent);
      const more = socket.write(pattern(sent, n));
      sent += n;
      if (!more) return socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
});
socket.on('data', (d) => {
  received += d.length;
  hash.update(d);
});
socket.on('end', () => {
  clearTimeout(timer);
  process.stdout.write(`client ok sent ${total} received ${received} sha256 ${hash.digest('hex')}\n`);
});
socket.on('error', (e) => {
  clearTimeout(timer);
  process.stdout.write(`client error ${e.code ?? e.message}\n`);
  process.exitCode = 1;
});
