/**
 * Firmware update over HTTP: read the manifest, check it is newer than the floor (the highest
 * version installed, kept in the Store across boots) and signed by a key of `publicKeys`,
 * download the image in Range requests, resume where it stopped after any failure (a carrier
 * loss, a new tunnel: the next request starts at the first byte not yet written), hash every byte
 * with SHA-256 and let the sink accept the image only when the digest matches. Each turn does at
 * most `turnBytes` of reading, hashing and writing; the rest waits in the socket for the next
 * turn, so the link keeps being served.
 *
 *   idle ─check─► manifest ─newer, signed─► download (ranges) ─all bytes─► verify ─match─► installed
 *     ▲              │ not newer                  │ error: keep offset        │ mismatch: cancel, from 0
 *     └─ interval ◄──┘                            └── backoff ◄───────────────┘
 *
 * A refused manifest (unsigned, unknown key, bad signature) or rejected image is remembered by
 * the manifest's SHA-256: while the server serves that same manifest it is not acted on again
 * before checkInterval has passed, and the waits after refusals grow (retryMin doubling up to
 * checkInterval) across images until one is installed.
 */
import { sha256, sha256Stream } from '../crypto/backend.ts';
import type { HashStream } from '../crypto/backend-api.ts';
import { Backoff, cappedBackoff } from '../util/backoff.ts';
import { equalBytes, fromHex, toHex } from '../util/bytes.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { printable } from '../util/text.ts';
import { due, earliest } from '../util/time.ts';
import type { ClientRuntime, DnsOption, SocketOption } from '../io/ecma419.ts';
import type { Store, Timer } from '../platform.ts';
import type { HttpClientOptions, RequestOptions } from '../http/client.ts';
import type { HttpError } from '../http/response.ts';
import { statusError } from '../http/status.ts';
import { parseManifest, type FirmwareManifest } from './manifest.ts';
import { signedBytes, verifyEd25519 } from './signature.ts';
import type { FirmwareSink } from './sink.ts';
import { isNewer, parseSemVer } from './version.ts';

/** The Store key of the highest version installed (the anti-rollback floor). */
export const FLOOR_KEY = 'fw-floor';

export interface FirmwareSettings {
  host: string;
  port: number;
  manifestPath: string;
  /** The version this build runs (SemVer): the floor until the Store holds a higher one. */
  currentVersion: string;
  /** Ed25519 public keys, 64 hex digits each: a manifest is acted on only with a signature by one of them. */
  publicKeys: string[];
  rangeBytes: number;
  turnBytes: number;
  maxImageBytes: number;
  maxManifestBytes: number;
  checkIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  timeoutMs: number;
}

/** The HTTP client class and its ECMA-419 options, as `device.network.http` carries them. */
export interface HttpOption {
  io: new (options: HttpClientOptions) => HttpClientLike;
  socket: SocketOption;
  dns?: DnsOption;
}

export interface HttpClientLike {
  request(options: RequestOptions): { read(count?: number): ArrayBuffer | undefined; readonly available: number };
  close(): void;
}

export type FirmwareEvent =
  | { type: 'firmware-manifest'; version: string; size: number; newer: boolean }
  | { type: 'firmware-signature'; version: string; keyIndex: number; key: string }
  | { type: 'firmware-skipped'; version: string; inMs: number }
  | { type: 'firmware-progress'; offset: number; size: number }
  | { type: 'firmware-resume'; offset: number; size: number }
  | { type: 'firmware-installed'; version: string; size: number; sha256: string }
  | { type: 'firmware-rejected'; version: string; reason: RejectReason; detail: string }
  | { type: 'firmware-error'; stage: 'manifest' | 'image'; error: string; detail: string }
  | { type: 'firmware-retry'; inMs: number };

export type RejectReason = 'unsigned' | 'unknown-key' | 'bad-signature' | 'digest-mismatch' | 'sink-refused';

export interface FirmwareFetcherOptions {
  settings: FirmwareSettings;
  http: HttpOption;
  sink: FirmwareSink;
  /** Keeps the anti-rollback floor across boots. */
  store: Store;
  runtime: ClientRuntime;
  log?: Logger;
  onEvent?: (event: FirmwareEvent) => void;
}

type Phase = 'idle' | 'manifest' | 'download' | 'installed' | 'stopped';

interface Download {
  manifest: FirmwareManifest;
  manifestId: Uint8Array; // SHA-256 of the manifest's bytes
  offset: number;
  hash: HashStream;
}

/** What the fetcher measured (the bench reads it). */
export interface FirmwareCounters {
  requests: number;
  bodyBytes: number;
  resumes: number;
  rejected: number;
  longestTurnBytes: number;
}

export class FirmwareFetcher {
  private phase: Phase = 'idle';
  private readonly timer: Timer;
  private readonly log: Logger;
  private readonly backoff: Backoff; // transport failures; progress resets it
  private readonly rejections: Backoff; // refused manifests and rejected images; an install resets it
  private readonly keys: Uint8Array[];
  private floor: string;
  private refused: { id: Uint8Array; at: number } | undefined; // the last manifest refused or whose image was rejected
  private client: HttpClientLike | undefined;
  private nextAt: number | undefined;
  private continueAt: number | undefined; // body bytes wait in the socket: the next turn reads on
  private download: Download | undefined;
  private request: { read(count?: number): ArrayBuffer | undefined; readonly available: number } | undefined;
  private rangeEnd = 0; // exclusive end of the current range request
  private failedStage: 'manifest' | 'image' | undefined;
  readonly counters: FirmwareCounters = { requests: 0, bodyBytes: 0, resumes: 0, rejected: 0, longestTurnBytes: 0 };

  constructor(private readonly options: FirmwareFetcherOptions) {
    const s = options.settings;
    this.timer = options.runtime.timer();
    this.log = options.log ?? silentLogger('firmware');
    this.backoff = new Backoff(cappedBackoff(s.retryMinMs, s.retryMaxMs), options.runtime.random);
    this.rejections = new Backoff(cappedBackoff(s.retryMinMs, Math.max(s.retryMaxMs, s.checkIntervalMs)), options.runtime.random);
    this.keys = s.publicKeys.map(fromHex);
    this.floor = s.currentVersion;
    let stored: string | undefined;
    try {
      stored = options.store.get(FLOOR_KEY);
    } catch (e) {
      this.log.warn(`firmware floor unreadable: ${String(e)}`);
    }
    if (stored !== undefined && parseSemVer(stored) && isNewer(stored, this.floor)) this.floor = stored;
  }

  /** The highest version installed (or built in): only a manifest above it is acted on. */
  get installedFloor(): string {
    return this.floor;
  }

  get state(): Phase {
    return this.phase;
  }

  /** Bytes of the image written so far (resumes start here). */
  get offset(): number {
    return this.download?.offset ?? 0;
  }

  /** Checks for an update now (and then every checkInterval). */
  start(): void {
    this.nextAt = this.options.runtime.now();
    this.phase = 'idle';
    this.step(() => {});
  }

  stop(): void {
    this.phase = 'stopped';
    this.closeClient();
    if (this.download) this.options.sink.cancel();
    this.download = undefined;
    this.timer.schedule(undefined, () => {});
  }

  // ---- the manifest ----

  private fetchManifest(now: number): void {
    this.phase = 'manifest';
    const s = this.options.settings;
    let text = '';
    const tooLarge = () => this.step((t) => this.failed('manifest', 'manifest-too-large', `over ${s.maxManifestBytes} bytes`, t));
    this.send({
      path: s.manifestPath,
      onHeaders: (st, headers) => {
        // Neither a refusal's body nor an oversized manifest is worth reading.
        if (st !== 200) this.step((t) => this.failed('manifest', statusError(st), `status ${st}`, t));
        else if (Number(headers.get('content-length') ?? 0) > s.maxManifestBytes) tooLarge();
      },
      onReadable: () => {
        const body = this.request?.read(s.maxManifestBytes + 1 - text.length);
        if (body) text += String.fromCharCode(...new Uint8Array(body));
        if (text.length > s.maxManifestBytes) tooLarge();
      },
      onDone: (error) => this.step((t) => {
        this.closeClient();
        if (error) return this.failed('manifest', error.name, error.message, t);
        const m = parseManifest(text, s.maxImageBytes);
        if (!m.ok) return this.failed('manifest', 'bad-manifest', m.error, t);
        this.onManifest(m.value, sha256(Uint8Array.from(text, (c) => c.charCodeAt(0))), t);
      }),
    }, now);
  }

  private onManifest(m: FirmwareManifest, id: Uint8Array, now: number): void {
    const s = this.options.settings;
    this.backoff.reset(); // the server answered
    const r = this.refused;
    if (r && equalBytes(r.id, id) && now - r.at < s.checkIntervalMs) {
      this.phase = 'idle';
      const wait = this.rejections.fail();
      this.nextAt = now + wait;
      this.log.debug(`firmware ${printable(m.version)}: the manifest refused before, unchanged`);
      return this.emit({ type: 'firmware-skipped', version: printable(m.version), inMs: wait });
    }
    const newer = isNewer(m.version, this.floor);
    this.emit({ type: 'firmware-manifest', version: printable(m.version), size: m.size, newer });
    if (!newer) {
      this.phase = 'idle';
      this.nextAt = now + s.checkIntervalMs;
      return;
    }
    const unsigned = this.checkSignature(m);
    if (unsigned) return this.rejected(m, id, unsigned[0], unsigned[1], now);
    const d = this.download;
    if (d && d.manifest.version === m.version && d.manifest.size === m.size && equalBytes(d.manifest.sha256, m.sha256) && d.manifest.path === m.path) {
      return this.downloadNext(now); // the same image: go on where it stopped
    }
    if (d) this.options.sink.cancel();
    this.download = undefined;
    const begun = this.options.sink.begin({ version: m.version, size: m.size, sha256: m.sha256 });
    if (!begun.ok) return this.rejected(m, id, 'sink-refused', begun.error, now);
    this.download = { manifest: m, manifestId: id, offset: 0, hash: sha256Stream() };
    this.downloadNext(now);
  }

  /** undefined when a key of `publicKeys` signed the manifest's fields, else why not. */
  private checkSignature(m: FirmwareManifest): [RejectReason, string] | undefined {
    if (!m.key || !m.signature) return ['unsigned', 'no key and signature in the manifest'];
    const key = m.key;
    const keyIndex = this.keys.findIndex((k) => equalBytes(k, key));
    if (keyIndex < 0) return ['unknown-key', `key ${toHex(key).slice(0, 16)}… is not in firmwareKeys`];
    if (!verifyEd25519(m.signature, signedBytes(m), key)) return ['bad-signature', `not a signature of this manifest by key ${toHex(key).slice(0, 16)}…`];
    this.log.info(`firmware ${printable(m.version)}: manifest signature verified with key ${keyIndex} (${toHex(key).slice(0, 16)}…)`);
    this.emit({ type: 'firmware-signature', version: printable(m.version), keyIndex, key: toHex(key) });
    return undefined;
  }

  // ---- the image ----

  private downloadNext(now: number): void {
    const d = this.download!;
    const size = d.manifest.size;
    if (d.offset === size) return this.verify(now);
    this.phase = 'download';
    if (this.failedStage === 'image') {
      this.counters.resumes++;
      this.emit({ type: 'firmware-resume', offset: d.offset, size });
    }
    this.failedStage = undefined;
    const start = d.offset;
    this.rangeEnd = Math.min(size, start + this.options.settings.rangeBytes);
    this.send({
      path: d.manifest.path,
      headers: [['Range', `bytes=${start}-${this.rangeEnd - 1}`]],
      onHeaders: (status, headers) => this.step((t) => {
        // Anything but exactly the bytes asked for ends this request before its body is read.
        if (status !== 206 && status !== 200) return this.failed('image', statusError(status), `status ${status}`, t);
        const badRange = this.checkRange(status, headers, start, size);
        if (badRange) return this.failed('image', 'range-mismatch', badRange, t);
        if (status === 200) this.rangeEnd = size; // no ranges here: the whole image comes at once
      }),
      onReadable: () => this.step((t) => this.pump(t)),
      onDone: (error) => this.step((t) => this.rangeDone(error, t)),
    }, now);
  }

  /** '' when the response (200 or 206) carries exactly the bytes asked for. */
  private checkRange(status: number, headers: Map<string, string>, start: number, size: number): string {
    if (status === 200) return start === 0 && headers.get('content-length') === String(size) ? '' : 'the server ignored the Range';
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== start || Number(m[2]) !== this.rangeEnd - 1 || m[3] !== String(size)) return `Content-Range ${printable(headers.get('content-range') ?? '(none)')} for bytes ${start}-${this.rangeEnd - 1}/${size}`;
    return '';
  }

  /** One turn's worth of body: read, hash, write, at most turnBytes. */
  private pump(now: number): void {
    const d = this.download;
    const req = this.request;
    this.continueAt = undefined;
    if (!d || !req || this.phase !== 'download') return;
    let budget = this.options.settings.turnBytes;
    let spent = 0;
    while (budget > 0) {
      const want = Math.min(budget, this.rangeEnd - d.offset);
      if (want <= 0) {
        if (req.available > 0) return this.failed('image', 'range-mismatch', 'the server sent more than the range', now);
        break;
      }
      const chunk = req.read(want);
      if (!chunk) break;
      const bytes = new Uint8Array(chunk);
      d.hash.update(bytes);
      const written = this.options.sink.write(bytes);
      if (!written.ok) return this.rejected(d.manifest, d.manifestId, 'sink-refused', written.error, now);
      d.offset += bytes.length;
      this.counters.bodyBytes += bytes.length;
      budget -= bytes.length;
      spent += bytes.length;
    }
    this.counters.longestTurnBytes = Math.max(this.counters.longestTurnBytes, spent);
    if (budget === 0 && req.available > 0) this.continueAt = now; // more is there: read it in the next turn
  }

  private rangeDone(error: HttpError | null, now: number): void {
    const d = this.download;
    this.request = undefined;
    this.continueAt = undefined;
    if (!d || this.phase !== 'download') return;
    if (error) return this.failed('image', error.name, error.message, now); // offset kept: resume there
    if (d.offset !== this.rangeEnd) return this.failed('image', 'truncated-body', `range ended at ${d.offset} of ${this.rangeEnd}`, now);
    this.emit({ type: 'firmware-progress', offset: d.offset, size: d.manifest.size });
    this.backoff.reset();
    this.downloadNext(now);
  }

  private verify(now: number): void {
    const d = this.download!;
    const digest = d.hash.digest();
    this.closeClient();
    if (!equalBytes(digest, d.manifest.sha256)) {
      return this.rejected(d.manifest, d.manifestId, 'digest-mismatch', `got ${toHex(digest).slice(0, 16)}…, manifest says ${toHex(d.manifest.sha256).slice(0, 16)}…`, now);
    }
    const done = this.options.sink.complete(digest);
    if (!done.ok) return this.rejected(d.manifest, d.manifestId, 'sink-refused', done.error, now);
    this.download = undefined;
    this.phase = 'installed';
    this.nextAt = undefined;
    this.raiseFloor(d.manifest.version);
    this.log.info(`firmware ${printable(d.manifest.version)} verified and installed (${d.manifest.size} bytes)`);
    this.emit({ type: 'firmware-installed', version: printable(d.manifest.version), size: d.manifest.size, sha256: toHex(digest) });
  }

  /** Kept across boots, so neither this version nor an older one installs again. */
  private raiseFloor(version: string): void {
    this.floor = version;
    this.rejections.reset();
    this.refused = undefined;
    try {
      this.options.store.set(FLOOR_KEY, version);
    } catch (e) {
      this.log.warn(`firmware floor ${printable(version)} not kept across boots: ${String(e)}`);
    }
  }

  /**
   * The manifest or its image cannot be accepted: drop the image (a refused manifest never began
   * one) and look at the manifest again after a wait that grows with each refusal.
   */
  private rejected(m: FirmwareManifest, id: Uint8Array, reason: RejectReason, detail: string, now: number): void {
    this.counters.rejected++;
    if (reason === 'digest-mismatch' || reason === 'sink-refused') {
      this.options.sink.cancel();
      this.download = undefined;
    }
    this.closeClient();
    this.refused = { id, at: now };
    this.log.warn(`firmware ${printable(m.version)} rejected: ${reason} (${detail})`);
    this.emit({ type: 'firmware-rejected', version: printable(m.version), reason, detail });
    this.phase = 'idle';
    const wait = this.rejections.fail();
    this.nextAt = now + wait;
    this.emit({ type: 'firmware-retry', inMs: wait });
  }

  private failed(stage: 'manifest' | 'image', error: string, detail: string, now: number): void {
    this.failedStage = stage;
    this.closeClient();
    this.log.info(`firmware ${stage}: ${error} (${printable(detail, 96)})`);
    this.emit({ type: 'firmware-error', stage, error, detail: printable(detail, 96) });
    this.retryLater(now);
  }

  private retryLater(now: number): void {
    this.phase = 'idle';
    const wait = this.backoff.fail();
    this.nextAt = now + wait;
    this.emit({ type: 'firmware-retry', inMs: wait });
  }

  // ---- plumbing ----

  private send(request: RequestOptions, now: number): void {
    if (!this.client) {
      const { io, ...http } = this.options.http;
      const s = this.options.settings;
      this.client = new io({ ...http, host: s.host, port: s.port, runtime: this.options.runtime, timeoutMs: s.timeoutMs, log: this.log });
    }
    this.counters.requests++;
    try {
      this.request = this.client.request(request);
    } catch (e) {
      this.failed(this.phase === 'manifest' ? 'manifest' : 'image', 'request-refused', String(e), now);
    }
  }

  private closeClient(): void {
    this.request = undefined;
    this.continueAt = undefined;
    const c = this.client;
    this.client = undefined;
    try {
      c?.close();
    } catch {
      /* already closed */
    }
  }

  private emit(event: FirmwareEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (e) {
      this.log.error(`onEvent threw: ${String(e)}`);
    }
  }

  private deadline(): number | undefined {
    return this.phase === 'idle' ? this.nextAt : this.phase === 'download' ? earliest(this.continueAt) : undefined;
  }

  private onTimer(now: number): void {
    if (this.phase === 'idle' && due(this.nextAt, now)) {
      this.nextAt = undefined;
      if (this.download && this.failedStage === 'image') return this.downloadNext(now); // resume without asking again
      return this.fetchManifest(now);
    }
    if (this.phase === 'download' && due(this.continueAt, now)) this.pump(now);
  }

  private step(work: (now: number) => void): void {
    try {
      work(this.options.runtime.now());
    } catch (e) {
      this.log.error(`internal error: ${e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)}`);
    }
    if (this.phase === 'stopped') return;
    this.timer.schedule(this.deadline(), () => this.step((now) => this.onTimer(now)));
  }
}
