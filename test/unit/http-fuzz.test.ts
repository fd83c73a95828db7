/** Fuzz (bounded time): random and mutated responses never throw and never grow past the limits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HTTP_LIMITS, ResponseParser, type ResponseSink } from '../../src/http/response.ts';
import { prng } from './prng.ts';


const SEEDS = [
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
  'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/10\r\nContent-Length: 4\r\n\r\nabcd',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
  'HTTP/1.0 200 OK\r\n\r\nuntil close',
];

test('fuzz: the response parser never throws; header bytes stay bounded', () => {
  const rand = prng(0x5eed);
  const until = Date.now() + 3000;
  let runs = 0;
  let failures = 0;
  const limits = { ...DEFAULT_HTTP_LIMITS, maxHeaderBytes: 512, maxLine: 128 };
  while (Date.now() < until) {
    runs++;
    const seed = SEEDS[Math.floor(rand() * SEEDS.length)]!;
    const text = Uint8Array.from(seed, (c) => c.charCodeAt(0));
    let input: Uint8Array = text;
    if (rand() < 0.3) input = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
    else for (let m = Math.floor(rand() * 4); m > 0; m--) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
    const parser = new ResponseParser(limits, rand() < 0.1);
    let body = 0;
    let headerBytes = 0;
    const sink: ResponseSink = {
      head: (h) => { for (const [k, v] of h.headers) headerBytes += k.length + v.length; },
      body: (b) => { body += b.length; },
      done: () => {},
    };
    let i = 0;
    let failed = false;
    assert.doesNotThrow(() => {
      while (i < input.length && !failed) {
        const n = 1 + Math.floor(rand() * 16);
        const r = parser.push(input.subarray(i, i + n), sink);
        if (!r.ok) { failed = true; failures++; break; }
        i += n;
      }
      if (!failed) parser.end(sink);
    });
    assert.ok(headerBytes <= limits.maxHeaderBytes, `${headerBytes} header bytes kept`);
    assert.ok(body <= input.length);
  }
  assert.ok(runs > 1000 && failures > 0, `${runs} runs, ${failures} refused`);
});
