// Connects from the private network to a TCP service on the device (its virtual IP), sends
// BYTES of the pattern, reads until the device closes, and prints one line:
//   "client ok sent N received M sha256 H"  or  "client error CODE"
// Usage: tcp-client.mjs ADDRESS PORT BYTES [TIMEOUT_S]
import net from 'node:net';
import { createHash } from 'node:crypto';
import { sendPattern } from './pattern.mjs';

const [address, port, bytesText = '0', timeoutText = '60'] = process.argv.slice(2);
const total = Number(bytesText);
const hash = createHash('sha256');
let received = 0;
const timer = setTimeout(() => {
  process.stdout.write(`client error timeout after ${received} bytes\n`);
  process.exit(1);
}, Number(timeoutText) * 1000);
const socket = net.connect({ host: address, port: Number(port) }, () => sendPattern(socket, total, () => socket.end()));
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
