// UDP echo service of the lab's private network: answers every datagram with the same
// bytes and prints one line per datagram ("from ADDR:PORT LEN") so tests can see who sent it.
import dgram from 'node:dgram';

const [address = '0.0.0.0', port = '7'] = process.argv.slice(2);
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  process.stdout.write(`from ${rinfo.address}:${rinfo.port} ${msg.length}\n`);
  socket.send(msg, rinfo.port, rinfo.address);
});
socket.bind(Number(port), address, () => process.stdout.write(`listening ${address}:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
