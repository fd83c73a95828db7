/** A scripted HTTP file server on the fake network: GET with Range (206), HEAD, 404, and faults. */
import type { FakeNetwork, ServerConnection } from './fake-ecma419.ts';

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

export interface FileServerFaults {
  /** Close the connection once this many body bytes went out on it (a carrier loss mid-range). */
  breakAfterBodyBytes?: number;
  /** Answer 200 with the whole file whatever the Range says. */
  ignoreRange?: boolean;
  /** Send the body in pieces of this size (default: all at once). */
  piece?: number;
}

export class FakeFileServer {
  readonly files = new Map<string, Uint8Array>();
  readonly requests: { path: string; range?: string; method: string }[] = [];
  faults: FileServerFaults = {};
  connections = 0;

  constructor(net: FakeNetwork, address = '198.51.100.30', port = 80) {
    net.listen(address, port, (conn) => this.serve(conn));
  }

  private serve(conn: ServerConnection): void {
    this.connections++;
    let buffer = '';
    let sentBody = 0;
    conn.onData = (b) => {
      buffer += String.fromCharCode(...b);
      for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
        const head = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        const [method = '', path = ''] = head.split('\r\n')[0]!.split(' ');
        const range = /\r\nrange: bytes=(\d+)-(\d*)/i.exec(head);
        this.requests.push({ path, method, range: range ? `${range[1]}-${range[2]}` : undefined });
        const file = this.files.get(path);
        if (!file) { conn.write(enc('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found')); continue; }
        let status = '200 OK';
        let body = file;
        let extra = '';
        if (range && !this.faults.ignoreRange) {
          const start = Number(range[1]);
          const last = range[2] ? Math.min(Number(range[2]), file.length - 1) : file.length - 1;
          if (start >= file.length) { conn.write(enc(`HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */${file.length}\r\nContent-Length: 0\r\n\r\n`)); continue; }
          status = '206 Partial Content';
          body = file.subarray(start, last + 1);
          extra = `Content-Range: bytes ${start}-${last}/${file.length}\r\n`;
        }
        conn.write(enc(`HTTP/1.1 ${status}\r\nContent-Length: ${body.length}\r\n${extra}\r\n`));
        if (method === 'HEAD') continue;
        const piece = this.faults.piece ?? body.length;
        for (let o = 0; o < body.length; o += piece) {
          let part = body.subarray(o, o + piece);
          const limit = this.faults.breakAfterBodyBytes;
          if (limit !== undefined && sentBody + part.length >= limit) {
            part = part.subarray(0, limit - sentBody);
            conn.write(part);
            this.faults.breakAfterBodyBytes = undefined; // once
            conn.close();
            return;
          }
          sentBody += part.length;
          conn.write(part);
        }
      }
    };
  }
}
