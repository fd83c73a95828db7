// Sends one UDP datagram and prints the reply (lab smoke test; runs inside a lab namespace).
import dgram from 'node:dgram';

const [address, port, text, timeoutMs = '2000'] = process.argv.slice(2);
const socket = dgram.createSocket('udp4');
const timer = setTimeout(() => {
  process.stderr.write('no reply\n');
  process.exit(1);
}, Number(timeoutMs));
socket.on('message', (msg) => {
  process.stdout.write(msg.toString());
  clearTimeout(timer);
  socket.close();
});
socket.send(Buffer.from(text), Number(port), address);
