/**
 * The ECMA-419 classes over the Network, against an in-process peer stack: TCP client and
 * Listener, UDP, the DNS Resolver; callbacks after protocol processing, calls from outside the
 * agent's turns, the tunnel down (wait, then fail) and back, named errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetError } from '../../src/net/errors.ts';
import type { TcpSocket } from '../../src/net/sockets/tcp.ts';
import { DNS_NAME, NetRig, tunnelInfo } from './net-rig.ts';
import { pattern, PEER } from './tcp-rig.ts';

const code = (e: unknown) => (e instanceof NetError ? e.code : String(e));

test('TCP: onWritable first, write, the echo comes back through onReadable; read() in every form', () => {
  const rig = new NetRig();
  rig.up();
  const log: string[] = [];
  const got: Uint8Array[] = [];
  let socket: TcpSocket | undefined;
  socket = new rig.sockets.TCP({
    address: PEER,
    port: 7,
    onWritable(count) {
      log.push(`writable ${count}`);
      if (log.length === 1) assert.equal(this.write(pattern(1000)), count - 1000);
    },
    onReadable(count) {
      log.push(`readable ${count}`);
      const first = this.read(10) as ArrayBuffer;
      got.push(new Uint8Array(first));
      const into = new Uint8Array(90);
      assert.equal(this.read(into), 90);
      got.push(into);
      this.format = 'number';
      got.push(Uint8Array.of(this.read() as number));
      this.format = 'buffer';
      const rest = this.read() as ArrayBuffer | undefined;
      if (rest) got.push(new Uint8Array(rest));
    },
  });
  assert.equal(socket.remoteAddress, PEER);
  assert.equal(socket.remotePort, 7);
  rig.run(1000);
  assert.equal(log[0], 'writable 8192');
  const all = new Uint8Array(got.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of got) (all.set(p, o), (o += p.length));
  assert.deepEqual(all, pattern(1000));
  assert.ok(log.some((l) => l.startsWith('readable')));
  socket.close();
  socket = undefined;
});

test('TCP: write before the connection opens throws "not-ready", more than writable throws "would-block"', () => {
  const rig = new NetRig({ tcpSendBuffer: 2048 });
  rig.up();
  let opened = false;
  const s = new rig.sockets.TCP({ address: PEER, port: 7, onWritable: () => void (opened = true) });
  assert.throws(() => s.write(pattern(1)), (e) => code(e) === 'not-ready');
  rig.run(100);
  assert.ok(opened);
  assert.throws(() => s.write(pattern(5000)), (e) => code(e) === 'would-block');
  assert.equal(s.write(pattern(2048)), 0);
});

test('TCP: a closed port answers RST: onError("refused"); callbacks come after the turn, never inside the constructor', () => {
  const rig = new NetRig();
  rig.up();
  const errors: string[] = [];
  new rig.sockets.TCP({ address: PEER, port: 9, onError: (e) => void errors.push(code(e)) });
  assert.deepEqual(errors, []);
  rig.run(100);
  assert.deepEqual(errors, ['refused']);
});

test('TCP as Moddable\'s lwIP socket after an error: a write from onError (the SDK HTTP client writes its next request there) is dropped without a throw', () => {
  const rig = new NetRig();
  rig.up();
  const seen: string[] = [];
  const s = new rig.sockets.TCP({
    address: PEER,
    port: 9, // closed: RST
    onError(e) {
      seen.push(code(e));
      seen.push(`write ${this.write(pattern(10))}`);
    },
  });
  rig.run(100);
  assert.deepEqual(seen, ['refused', 'write 0'], 'the write after the error returned, taking nothing');
  assert.equal(s.write(pattern(10)), 0, 'and later writes too');
  assert.throws(() => new rig.sockets.TCP({ address: PEER, port: 7 }).write(pattern(1)), (e) => code(e) === 'not-ready', 'before the connection opens, a write still throws (as Moddable\'s)');
});

test('TCP: the peer closes: every byte is read first, then onError("closed"); end() half-closes our side', () => {
  const rig = new NetRig();
  rig.up();
  const events: string[] = [];
  const s = new rig.sockets.TCP({
    address: PEER,
    port: 7,
    onWritable() {
      if (events.length) return;
      events.push('open');
      this.write(pattern(300));
      this.end();
    },
    onReadable(count) {
      events.push(`readable ${count}`);
      this.read();
    },
    onError(e) {
      events.push(`error ${code(e)}`);
    },
  });
  rig.run(2000);
  assert.deepEqual(events, ['open', 'readable 300', 'error closed']);
  s.close();
});

test('TCP opened while the tunnel is down waits for it; without the tunnel it fails with "tunnel-down" after netTunnelWait', () => {
  const rig = new NetRig({ netTunnelWait: 5 });
  rig.down();
  const events: string[] = [];
  new rig.sockets.TCP({ address: PEER, port: 7, onWritable: () => void events.push('open'), onError: (e) => void events.push(code(e)) });
  rig.run(1000);
  assert.deepEqual(events, []);
  rig.up();
  rig.run(100);
  assert.deepEqual(events, ['open'], 'connected once the tunnel came up');

  const rig2 = new NetRig({ netTunnelWait: 5 });
  rig2.down();
  const events2: string[] = [];
  new rig2.sockets.TCP({ address: PEER, port: 7, onError: (e) => void events2.push(code(e)) });
  rig2.run(4999);
  assert.deepEqual(events2, []);
  rig2.run(1);
  assert.deepEqual(events2, ['tunnel-down']);
});

test('TCP to an address outside the traffic selectors: onError("no-route"); bad arguments throw "invalid"', () => {
  const rig = new NetRig();
  rig.up(tunnelInfo(undefined, '198.51.100.0/25'));
  const errors: string[] = [];
  new rig.sockets.TCP({ address: '198.51.100.200', port: 7, onError: (e) => void errors.push(code(e)) });
  rig.run(10);
  assert.deepEqual(errors, ['no-route']);
  assert.throws(() => new rig.sockets.TCP({ address: 'not-an-ip', port: 7 }), (e) => code(e) === 'invalid');
  assert.throws(() => new rig.sockets.TCP({ address: PEER, port: 0 }), (e) => code(e) === 'invalid');
});

test('TCP by host name: resolved through the tunnel\'s DNS, then connected', () => {
  const rig = new NetRig();
  rig.up();
  const events: string[] = [];
  const s = new rig.sockets.TCP({ host: DNS_NAME, port: 7, onWritable: () => void events.push('open') });
  rig.run(100);
  assert.deepEqual(events, ['open']);
  assert.equal(s.remoteAddress, PEER);
});

test('Listener: a connection from the peer: onReadable(1), read() → new TCP({from}) with data both ways', () => {
  const rig = new NetRig();
  rig.up();
  const server: TcpSocket[] = [];
  const received: number[] = [];
  const listener = new rig.sockets.Listener({
    port: 8080,
    onReadable(count) {
      assert.equal(count, 1);
      const from = this.read()!;
      server.push(new rig.sockets.TCP({
        from,
        onReadable(n) {
          const data = new Uint8Array(this.read() as ArrayBuffer);
          received.push(n);
          this.write(data.reverse());
        },
      }));
    },
  });
  assert.equal(listener.port, 8080);
  const client = rig.peerTcp.connect(new Uint8Array([192, 0, 2, 7]), 8080, rig.now);
  rig.run(100);
  assert.equal(client.state, 'ESTABLISHED');
  client.write(Uint8Array.of(1, 2, 3), rig.now);
  rig.run(500);
  assert.deepEqual(received, [3]);
  assert.deepEqual(client.read(10, rig.now), Uint8Array.of(3, 2, 1));
  assert.equal(server[0]!.remoteAddress, PEER);
  listener.close();
});

test('UDP: write(buffer, address, port) and read() with the sender; with the held queue off, the tunnel down throws "tunnel-down"', () => {
  const rig = new NetRig({ udpQueueLength: 0 });
  rig.up();
  const got: Array<{ text: string; address: string; port: number }> = [];
  const udp = new rig.sockets.UDP({
    onReadable(count) {
      for (let i = 0; i < count; i++) {
        const d = this.read()!;
        got.push({ text: String.fromCharCode(...new Uint8Array(d)), address: d.address, port: d.port });
      }
    },
  });
  assert.ok(udp.port >= 49152);
  udp.write(Uint8Array.of(104, 105), PEER, 7);
  rig.run(10);
  assert.deepEqual(got, [{ text: 'hi', address: PEER, port: 7 }]);
  rig.down();
  assert.throws(() => udp.write(Uint8Array.of(1), PEER, 7), (e) => code(e) === 'tunnel-down');
  assert.throws(() => new rig.sockets.UDP({ port: udp.port }), (e) => code(e) === 'port-in-use');
});

test('UDP: the app may reuse its buffer as soon as write() returns, sent at once or held while the tunnel is down', () => {
  const rig = new NetRig({ udpQueueLength: 2 });
  rig.up();
  const got: string[] = [];
  const udp = new rig.sockets.UDP({ onReadable(count) { for (let i = 0; i < count; i++) got.push(String.fromCharCode(...new Uint8Array(this.read()!))); } });
  const buffer = Uint8Array.of(104, 105);
  udp.write(buffer, PEER, 7);
  buffer.fill(0x78);
  rig.down();
  const held = Uint8Array.of(111, 107);
  udp.write(held.buffer, PEER, 7);
  held.fill(0x78);
  rig.up();
  rig.run(10);
  assert.deepEqual(got, ['hi', 'ok']);
});

test('UDP: a full serial line drops (and counts) datagrams instead of queueing without bound', () => {
  const rig = new NetRig();
  rig.up();
  const udp = new rig.sockets.UDP();
  rig.serialQueued = 16000;
  udp.write(new Uint8Array(1000), PEER, 7);
  assert.equal(rig.network.counters().drops['udp datagram dropped: serial line full'], 1);
});

test('UDP: a datagram written while the held queue still drains into a full serial line waits behind it, in order, not dropped', () => {
  const rig = new NetRig({ udpQueueLength: 8 });
  rig.up();
  const got: string[] = [];
  const udp = new rig.sockets.UDP({ onReadable(count) { for (let i = 0; i < count; i++) got.push(String.fromCharCode(...new Uint8Array(this.read()!))); } });
  rig.down();
  for (const c of 'abc') udp.write(Uint8Array.of(c.charCodeAt(0)), PEER, 7);
  rig.serialQueued = 16300; // the line is busy when the tunnel comes back: the held ones wait
  rig.up();
  rig.run(10);
  udp.write(Uint8Array.of('d'.charCodeAt(0)), PEER, 7);
  rig.serialQueued = 0;
  rig.network.serialWritable(rig.now);
  rig.run(10);
  assert.deepEqual(got, ['a', 'b', 'c', 'd']);
  assert.equal(rig.network.counters().drops['udp datagram dropped: serial line full'], undefined);
});

test('Resolver: names through the tunnel DNS, literals too (always in a later turn), errors named', () => {
  const rig = new NetRig();
  rig.up();
  const out: string[] = [];
  const r = new rig.sockets.Resolver({});
  r.resolve({ host: DNS_NAME, onResolved: (h, a) => void out.push(`${h} ${a}`), onError: (h) => void out.push(`error ${h}`) });
  r.resolve({ host: '198.51.100.99', onResolved: (h, a) => void out.push(`${h} ${a}`) });
  r.resolve({ host: 'nowhere.lab.example', onResolved: () => void out.push('?'), onError: (h, e) => void out.push(`error ${h} ${code(e)}`) });
  assert.deepEqual(out, [], 'nothing inside resolve()');
  rig.run(5000);
  assert.deepEqual(out.sort(), ['198.51.100.99 198.51.100.99', `${DNS_NAME} ${PEER}`, 'error nowhere.lab.example dns'].sort());
});

test('calls from outside the agent\'s turns enter a turn; calls inside callbacks do not', () => {
  const rig = new NetRig();
  rig.up();
  const before = rig.entered;
  let inside = -1;
  const s = new rig.sockets.TCP({
    address: PEER,
    port: 7,
    onWritable() {
      const e = rig.entered;
      this.write(pattern(10));
      inside = rig.entered - e;
    },
  });
  assert.equal(rig.entered, before + 1, 'the constructor ran as one turn');
  rig.run(100);
  assert.equal(inside, 0, 'no extra turn inside a callback');
  s.close();
});

test('an app callback that throws is counted and does not break the network', () => {
  const rig = new NetRig();
  rig.up();
  new rig.sockets.TCP({ address: PEER, port: 7, onWritable: () => { throw new Error('app bug'); } });
  rig.run(100);
  assert.equal(rig.network.counters().appCallbackErrors, 1);
  const errors: string[] = [];
  new rig.sockets.TCP({ address: PEER, port: 9, onError: (e) => void errors.push(code(e)) });
  rig.run(100);
  assert.deepEqual(errors, ['refused']);
});

test('the tunnel comes back with another virtual IP: open connections end with "address-changed"', () => {
  const rig = new NetRig();
  rig.up();
  const errors: string[] = [];
  new rig.sockets.TCP({ address: PEER, port: 7, onError: (e) => void errors.push(code(e)) });
  rig.run(100);
  rig.down();
  rig.up(tunnelInfo('192.0.2.8'));
  rig.run(10);
  assert.deepEqual(errors, ['address-changed']);
});

test('the tunnel comes back with the same virtual IP: the connection carries on', () => {
  const rig = new NetRig();
  rig.up();
  const got: number[] = [];
  const s = new rig.sockets.TCP({ address: PEER, port: 7, onReadable(n) { got.push(n); this.read(); } });
  rig.run(100);
  rig.down();
  s.write(pattern(100));
  rig.run(500);
  assert.deepEqual(got, [], 'nothing crosses while the tunnel is down');
  rig.up();
  rig.run(5000);
  assert.deepEqual(got, [100], 'retransmitted once the tunnel is back');
});

test('the serial line backs up: TCP holds segments until serialWritable, then sends', () => {
  const rig = new NetRig();
  rig.up();
  const s = new rig.sockets.TCP({ address: PEER, port: 7 });
  rig.run(100);
  rig.serialQueued = 3000;
  const sentBefore = rig.network.counters().tcp.segmentsOut;
  s.write(pattern(2000));
  assert.equal(rig.network.counters().tcp.segmentsOut, sentBefore, 'held back');
  rig.serialQueued = 0;
  rig.network.serialWritable(rig.now);
  assert.ok(rig.network.counters().tcp.segmentsOut > sentBefore);
});

test('UDP while the tunnel is down: datagrams are held (bounded, drop-oldest, each drop counted) and go out in order when it is back', () => {
  const rig = new NetRig({ udpQueueLength: 3 });
  rig.up();
  const got: string[] = [];
  const reported: unknown[] = [];
  rig.onReport = (e) => reported.push(e);
  const udp = new rig.sockets.UDP({ onReadable(count) { for (let i = 0; i < count; i++) got.push(String.fromCharCode(...new Uint8Array(this.read()!))); } });
  rig.down();
  for (const c of 'abcde') udp.write(Uint8Array.of(c.charCodeAt(0)), PEER, 7); // no throw: held
  rig.run(10);
  assert.deepEqual(got, [], 'nothing is sent while the tunnel is down');
  assert.equal(rig.network.counters().drops['udp datagram dropped: queue full while the tunnel was down'], 2, 'a and b dropped, counted');
  rig.up();
  rig.run(10);
  assert.deepEqual(got, ['c', 'd', 'e'], 'the held ones, in order, once the tunnel is back');
  assert.deepEqual(reported, [{ type: 'udp-held-released', dropped: 2, delivered: 3 }], 'the app hears what happened');
});
