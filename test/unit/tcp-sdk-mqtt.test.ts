/**
 * Moddable's own ECMA-419 MQTT client (the SDK's examples/io/tcp/mqttclient/mqttclient.js), run
 * unchanged over ikelet's TCP sockets against an in-process broker: it writes each MQTT packet
 * in 3–5 write() calls marked {more: true}, and every packet must leave as one segment. Its
 * "timer" and "time" modules and XS's String/ArrayBuffer helpers are shims on the test's virtual
 * clock. Needs the SDK that setup builds (scripts/moddable-sdk.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { findModdableSdk } from '../../scripts/moddable-sdk.ts';
import { encodeConnack, encodeIdPacket, PacketReader, type Packet } from '../../src/mqtt/codec.ts';
import { CONNECT, PUBACK, PUBLISH } from '../../src/mqtt/constants.ts';
import type { TcpConnection } from '../../src/net/tcp/connection.ts';
import { NetRig, tunnelInfo, watchAir } from './net-rig.ts';
import { PEER } from './tcp-rig.ts';

interface AppTimer {
  at: number;
  every?: number;
  fire: () => void;
}

/** The SDK's "timer" and "time" on the rig's virtual clock; app timers run outside the agent's turns. */
function installShims(rig: NetRig, timers: Set<AppTimer>): void {
  const g = globalThis as Record<string, unknown>;
  g.__ikeletTimer = {
    set: (fire: () => void, ms = 0) => {
      const t: AppTimer = { at: rig.now + ms, fire };
      timers.add(t);
      return t;
    },
    repeat: (fire: () => void, ms: number) => {
      const t: AppTimer = { at: rig.now + ms, every: ms, fire };
      timers.add(t);
      return t;
    },
    clear: (t: AppTimer | undefined) => void (t && timers.delete(t)),
  };
  g.__ikeletTime = {
    get ticks() {
      return rig.now;
    },
    delta: (a: number, b: number) => b - a,
  };
  g.trace ??= () => {};
  const S = String as unknown as Record<string, unknown>;
  S.fromArrayBuffer ??= (b: ArrayBuffer) => new TextDecoder().decode(b);
  const A = ArrayBuffer as unknown as Record<string, unknown>;
  A.fromString ??= (s: string) => new TextEncoder().encode(s).buffer;
}

/** The SDK's client module, its two imports pointed at the shims (nothing else changed). */
async function loadSdkClient(root: string): Promise<new (options: object) => { write(data: ArrayBuffer | null, options: object): number; close(): void }> {
  const source = fs.readFileSync(path.join(root, 'examples/io/tcp/mqttclient/mqttclient.js'), 'utf8');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-sdk-mqtt-'));
  const shim = path.join(dir, 'shims.mjs');
  fs.writeFileSync(shim, 'export const Timer = globalThis.__ikeletTimer; export const Time = globalThis.__ikeletTime;\n');
  const rewritten = source
    .replace('import Timer from "timer";', `import { Timer } from ${JSON.stringify(pathToFileURL(shim).href)};`)
    .replace('import Time from "time";', `import { Time } from ${JSON.stringify(pathToFileURL(shim).href)};`);
  assert.notEqual(rewritten, source, 'the SDK client imports "timer" and "time" as expected');
  const file = path.join(dir, 'mqttclient.mjs');
  fs.writeFileSync(file, rewritten);
  const mod = (await import(pathToFileURL(file).href)) as { default: new (options: object) => never };
  fs.rmSync(dir, { recursive: true, force: true });
  return mod.default;
}

const sdk = findModdableSdk();

test('the SDK\'s MQTT client over ikelet\'s TCP: every MQTT packet it writes (3–5 writes with {more: true}) is one segment', { skip: sdk.ok ? false : sdk.reason }, async (t) => {
  if (!sdk.ok) return;
  const rig = new NetRig();
  rig.up(tunnelInfo());
  const timers = new Set<AppTimer>();
  installShims(rig, timers);
  const MQTTClient = await loadSdkClient(sdk.sdk.root);

  // The broker: CONNACK, PUBACK for QoS 1; its ACKs delayed as a real stack's are.
  const heard: Packet[] = [];
  const conns: TcpConnection[] = [];
  const reader = new PacketReader(1 << 16);
  const l = rig.peerTcp.listen(1883, () => {
    for (let c = l.take(); c; c = l.take()) conns.push(c);
  });
  const serveBroker = () => {
    for (const c of conns) {
      if (!c.readable) continue;
      reader.feed(c.read(c.readable, rig.now), (p) => {
        heard.push(p);
        if (p.type === CONNECT) c.write(encodeConnack(false, 0), rig.now);
        if (p.type === PUBLISH && p.qos === 1) c.write(encodeIdPacket(PUBACK, p.id!), rig.now);
        return true;
      });
    }
  };

  const air = watchAir(rig);

  /** Runs the rig and the app's timers (each one a call from outside the agent's turns) for `ms`. */
  const run = (ms: number) => {
    const end = rig.now + ms;
    for (;;) {
      rig.run(0);
      serveBroker();
      rig.run(0);
      const next = [...timers].sort((a, b) => a.at - b.at)[0];
      const netAt = Math.min(rig.network.deadline() ?? Infinity, rig.peerTcp.deadline() ?? Infinity);
      const at = Math.min(next?.at ?? Infinity, netAt);
      if (at > end) break;
      rig.run(Math.max(0, Math.min(at, end) - rig.now));
      if (next && next.at <= rig.now) {
        if (next.every) next.at += next.every;
        else timers.delete(next);
        next.fire();
      }
    }
    rig.now = Math.max(rig.now, end);
  };

  let connected = false;
  const client = new MQTTClient({
    host: PEER, port: 1883, id: 'dev-1', keepalive: 60_000,
    socket: { io: rig.sockets.TCP }, dns: { io: rig.sockets.Resolver },
    onControl(msg: { operation: number }) {
      if (msg.operation === 2) connected = true;
    },
    onError() {
      assert.fail('the SDK client reported an error');
    },
  });
  run(2000);
  assert.ok(connected, 'CONNACK reached the SDK client');
  for (let i = 0; i < 19; i++) {
    const payload = new TextEncoder().encode(JSON.stringify({ t: 21.5 + i, seq: i, pad: 'x'.repeat(i * 40) }));
    timers.add({ at: rig.now, fire: () => void client.write(payload.buffer, { topic: 'devices/dev-1/telemetry', QoS: i % 3 === 0 ? 1 : 0 }) });
    run(1000);
  }
  assert.equal(heard.filter((p) => p.type === PUBLISH).length, 19, 'the broker got every PUBLISH');
  // Each segment holds whole MQTT packets: a fresh reader decodes it with nothing left over.
  const segments = air.dataSegments;
  const packetsPerSegment = segments.map((s) => {
    const r = new PacketReader(1 << 16);
    let n = 0;
    assert.equal(r.feed(s, () => (n++, true)), undefined);
    return n;
  });
  assert.ok(packetsPerSegment.every((n) => n >= 1), `a segment with a piece of a packet: ${packetsPerSegment.join(',')}`);
  assert.equal(segments.length, heard.length, 'one segment per MQTT packet (CONNECT and 19 PUBLISH)');
  t.diagnostic(`SDK client, CONNECT + 19 PUBLISH: ${segments.length} data segments, ${air.up} packets up (${air.upBytes} B on the link), ${air.down} down (${air.downBytes} B)`);
  client.close();
});
