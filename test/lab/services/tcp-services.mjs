// TCP services of the lab's private network, on Linux's own TCP stack. One line per event on
// stdout, so tests can see what each service got:
//   echo    (7)    sends back every byte:                "echo end ADDR:PORT BYTES"
//   discard (9)    reads and drops:                       "discard end ADDR:PORT BYTES"
//   sink    (5001) records what it received; at the client's FIN it answers with the record
//                  ("BYTES SHA256\n") and closes:         "sink end ADDR:PORT BYTES SHA256"
//   source  (5002) reads a decimal count and a newline, sends that many bytes of the pattern
//                  and closes:                            "source end ADDR:PORT BYTES"
// The pattern (pattern.mjs) is the one the device's test app sends and checks.
import net from 'node:net';
import { createHash } from 'node:crypto';
import { sendPattern } from './pattern.mjs';

const [address = '0.0.0.0'] = process.argv.slice(2);
const PORTS = { echo: 7, discard: 9, sink: 5001, source: 5002 };

const say = (line) => process.stdout.write(`${line}\n`);
const peer = (s) => `${s.remoteAddress}:${s.remotePort}`;

function serve(name, port, onConnection) {
  const server = net.createServer((socket) => {
    const who = peer(socket);
    say(`${name} from ${who}`);
    socket.on('error', (e) => say(`${name} error ${who} ${e.code ?? e.message}`));
    onConnection(socket, who);
  });
  server.listen(port, address, () => say(`listening ${name} ${address}:${port}`));
}

serve('echo', PORTS.echo, (socket, who) => {
  let bytes = 0;
  socket.on('data', (d) => (bytes += d.length));
  socket.pipe(socket);
  socket.on('end', () => say(`echo end ${who} ${bytes}`));
});

serve('discard', PORTS.discard, (socket, who) => {
  let bytes = 0;
  socket.on('data', (d) => (bytes += d.length));
  socket.on('end', () => {
    say(`discard end ${who} ${bytes}`);
    socket.end();
  });
});

serve('sink', PORTS.sink, (socket, who) => {
  const hash = createHash('sha256');
  let bytes = 0;
  socket.on('data', (d) => {
    bytes += d.length;
    hash.update(d);
  });
  socket.on('end', () => {
    const digest = hash.digest('hex');
    say(`sink end ${who} ${bytes} ${digest}`);
    socket.end(`${bytes} ${digest}\n`);
  });
});

serve('source', PORTS.source, (socket, who) => {
  let request = '';
  let total = -1;
  socket.on('data', (d) => {
    if (total >= 0) return;
    request += d.toString('latin1');
    const nl = request.indexOf('\n');
    if (nl < 0) return;
    total = Math.max(0, Math.min(64 * 1024 * 1024, Number.parseInt(request.slice(0, nl), 10) || 0));
    sendPattern(socket, total, () => {
      say(`source end ${who} ${total}`);
      socket.end();
    });
  });
});

process.on('SIGTERM', () => process.exit(0));
