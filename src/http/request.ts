/** HTTP/1.1 request heads (RFC 9112 3): method, target, Host first, then the caller's fields. */
import { utf8 } from '../util/bytes.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^\/[\x21-\x7e]*$/;
const VALUE = /^[\x09\x20-\x7e]*$/;

/** The request head's bytes; app mistakes (a CR in a value, a bad method) throw, as ECMA-419 classes do. */
export function buildRequest(method: string, host: string, port: number, path: string, headers: Iterable<[string, string]>): Uint8Array {
  if (!TOKEN.test(method)) throw new RangeError('invalid method');
  if (!TARGET.test(path)) throw new RangeError('invalid path: an absolute path of visible ASCII');
  const hostField = port === 80 ? host : `${host}:${port}`;
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${hostField}\r\n`;
  for (const [name, value] of headers) {
    if (!TOKEN.test(name) || !VALUE.test(value)) throw new RangeError(`invalid header field ${name.slice(0, 32)}`);
    if (name.toLowerCase() === 'host') continue; // Host is always the client's host
    head += `${name}: ${value}\r\n`;
  }
  return utf8(`${head}\r\n`);
}
