// The byte stream every TCP test sends and checks: byte i = (7 i + (i >> 8)) & 255. The device's
// test app (test/e2e/net-app.ts, TypeScript bundled for XS) computes the same function.
export function pattern(offset, length) {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    b[i] = (n * 7 + (n >> 8)) & 0xff;
  }
  return b;
}

/** Writes `total` bytes of the pattern to a socket, waiting for 'drain' as it must, then calls done(). */
export function sendPattern(socket, total, done) {
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(16384, total - sent);
      const more = socket.write(pattern(sent, n));
      sent += n;
      if (!more) return socket.once('drain', pump);
    }
    done();
  };
  pump();
}
