// A hostile "firmware server" for robustness tests. The request path picks what it does; one line
// per request: "mode PATH from ADDR".
//   /endless-headers    a status line, then header lines for as long as the client reads
//   /long-line          a 64 KiB status line
//   /bad-status         not HTTP at all
//   /bad-length         Content-Length: 12abc
//   /truncated          Content-Length 65536, half of it, then close
//   /truncated-chunked  a chunked body cut inside a chunk
//   /silent             nothing
//   /m/NAME             a valid manifest whose image is /NAME (so the image step meets NAME), signed
//                       as the lab signs (the manifests come from the JSON file given third)
import fs from 'node:fs';
import net from 'node:net';

const [address = '0.0.0.0', port = '80', signedFile] = process.argv.slice(2);
const signed = signedFile ? JSON.parse(fs.readFileSync(signedFile, 'utf8')) : {};
const MAX_BYTES = 16 << 20; // never more than this per connection

function endless(socket) {
  let sent = 0;
  let n = 0;
  socket.write('HTTP/1.1 200 OK\r\n');
  const more = () => {
    while (!socket.destroyed && sent < MAX_BYTES) {
      const line = `X-Endless-${n++}: ${'v'.repeat(60)}\r\n`;
      sent += line.length;
      if (!socket.write(line)) return socket.once('drain', more);
    }
  };
  more();
}

const server = net.createServer((socket) => {
  let head = '';
  let answered = false;
  socket.on('error', () => {});
  socket.on('data', (d) => {
    if (answered) return;
    head = (head + d.toString('latin1')).slice(0, 8192);
    if (!head.includes('\r\n\r\n')) return;
    answered = true;
    const path = head.split(' ')[1] ?? '/';
    process.stdout.write(`mode ${path} from ${socket.remoteAddress}\n`);
    const manifest = /^\/m\/([a-z-]+)$/.exec(path);
    if (manifest) {
      const body = signed[manifest[1]] ?? JSON.stringify({ version: '9.9.9', size: 65536, sha256: '0'.repeat(64), path: `/${manifest[1]}` });
      return socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    }
    switch (path) {
      case '/endless-headers':
        return endless(socket);
      case '/long-line':
        return socket.end(`HTTP/1.1 200 ${'O'.repeat(65536)}\r\n\r\n`);
      case '/bad-status':
        return socket.end('SPDY/9 200 OK\r\n\r\n');
      case '/bad-length':
        return socket.end('HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n');
      case '/truncated':
        socket.write('HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-65535/65536\r\nContent-Length: 65536\r\n\r\n');
        return socket.end(Buffer.alloc(32768, 0x42));
      case '/truncated-chunked':
        return socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\nonly a little');
      case '/silent':
        return;
      default:
        return socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    }
  });
});
server.listen(Number(port), address, () => process.stdout.write(`listening ${address}:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
