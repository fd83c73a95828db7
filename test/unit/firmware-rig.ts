/** The firmware fetcher over fake sockets and a scripted file server, with manifests signed by a test key. */
import { FirmwareFetcher, type FirmwareEvent, type FirmwareSettings } from '../../src/firmware/fetcher.ts';
import type { FirmwareImage, FirmwareSink } from '../../src/firmware/sink.ts';
import type { Store } from '../../src/platform.ts';
import { HTTPClient } from '../../src/http/client.ts';
import { MemoryStore } from '../../src/util/memory-store.ts';
import { ok, type Result } from '../../src/util/result.ts';
import { publicKeyOf, signManifest } from '../../scripts/firmware-signer.ts';
import { FakeClock, FakeNetwork } from './fake-ecma419.ts';
import { FakeFileServer } from './http-fake-server.ts';

/** The test signing key, and another the device does not know. */
export const SIGNER = '11'.repeat(32);
export const STRANGER = '22'.repeat(32);

export class MemorySink implements FirmwareSink {
  image: FirmwareImage | undefined;
  chunks: Uint8Array[] = [];
  completed: Uint8Array | undefined;
  begins = 0;
  cancels = 0;
  writes = 0;
  begin(image: FirmwareImage): Result<void, string> { this.image = image; this.chunks = []; this.begins++; return ok(undefined); }
  write(bytes: Uint8Array): Result<void, string> { this.chunks.push(bytes.slice()); this.writes++; return ok(undefined); }
  complete(digest: Uint8Array): Result<void, string> { this.completed = digest; return ok(undefined); }
  cancel(): void { this.cancels++; this.chunks = []; }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

export function image(size: number, seed = 1): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

export const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The manifest text for `img`, signed with `secret` (SIGNER by default). */
export function manifestFor(img: Uint8Array, version = '1.1.0', path = '/firmware/image-1.1.0.bin', secret = SIGNER) {
  return enc(JSON.stringify(signManifest({ version, path, image: img }, secret)));
}

export function rig(settings: Partial<FirmwareSettings> = {}, sinkOverride?: FirmwareSink, store: Store = new MemoryStore()) {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  net.names.set('fw.lab.example', '198.51.100.30');
  const server = new FakeFileServer(net);
  const sink = new MemorySink();
  const events: FirmwareEvent[] = [];
  const fetcher = new FirmwareFetcher({
    settings: {
      host: 'fw.lab.example', port: 80, manifestPath: '/firmware/manifest.json', currentVersion: '1.0.0', publicKeys: [publicKeyOf(SIGNER)],
      rangeBytes: 65536, turnBytes: 4096, maxImageBytes: 4 << 20, maxManifestBytes: 1024,
      checkIntervalMs: 3_600_000, retryMinMs: 2000, retryMaxMs: 30_000, timeoutMs: 20_000, ...settings,
    },
    http: { io: HTTPClient, socket: { io: net.TCP }, dns: { io: net.Resolver } },
    sink: sinkOverride ?? sink,
    store,
    runtime: clock.runtime(),
    onEvent: (e) => events.push(e),
  });
  return { clock, net, server, sink, events, fetcher, store };
}
