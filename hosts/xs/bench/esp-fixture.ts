/**
 * ESP per packet in XS, for `npm run bench:xs`: the agent's own EspOutboundSa.protect and
 * EspInboundSa.open beside the noble primitive called directly on the same inner size.
 * Bundled like the device bundle (bundleForXs). Each measured function runs `n` operations in
 * one turn, so the bench can divide the turn's computrons by n.
 *
 *   espBench.setup('aes128gcm16', 1400, 17)   // SA pair + 17 sealed packets for open(); true if they round-trip
 *   espBench.agentEncrypt(16)  espBench.agentDecrypt(16)  espBench.nobleEncrypt(16)  espBench.nobleDecrypt(16)
 *   espBench.noop()           // the fixed cost of a bench turn
 */
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseProposal } from '../../../src/crypto/suites.ts';
import { EspInboundSa, EspOutboundSa } from '../../../src/esp/sa.ts';
import type { Random } from '../../../src/platform.ts';
import { DropCounter, silentLogger } from '../../../src/util/log.ts';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** No RNG in a bare XS script: a cheap deterministic stand-in (only CBC IVs ask for it). */
let counter = 0;
const random: Random = { bytes: (n) => bytes(n, ++counter) };

interface State {
  outbound: EspOutboundSa;
  inbound: EspInboundSa;
  inner: Uint8Array;
  sealed: Uint8Array[];
  next: number;
  nobleEncrypt: () => Uint8Array;
  nobleDecrypt: () => Uint8Array;
}
let state: State | undefined;
const current = (): State => {
  if (!state) throw new Error('espBench.setup first');
  return state;
};

/** The noble calls the agent makes per packet, made directly: one AEAD instance per packet; or CBC plus HMAC. */
function noble(suite: string, key: Uint8Array, integKey: Uint8Array, inner: Uint8Array): Pick<State, 'nobleEncrypt' | 'nobleDecrypt'> {
  const nonce = bytes(12, 5);
  const aad = bytes(8, 6);
  if (suite === 'aes128-sha256') {
    const iv = bytes(16, 7);
    // PKCS#7 padding gives the very ciphertext length ESP's padding does (inner + 2, up to a block).
    const ct = cbc(key, iv).encrypt(inner);
    return {
      nobleEncrypt: () => {
        const c = cbc(key, iv).encrypt(inner);
        hmac(sha256, integKey, c);
        return c;
      },
      nobleDecrypt: () => {
        hmac(sha256, integKey, ct);
        return cbc(key, iv).decrypt(ct);
      },
    };
  }
  const make = suite === 'chacha20poly1305' ? chacha20poly1305 : gcm;
  const sealed = make(key, nonce, aad).encrypt(inner);
  return {
    nobleEncrypt: () => make(key, nonce, aad).encrypt(inner),
    nobleDecrypt: () => make(key, nonce, aad).decrypt(sealed),
  };
}

const equal = (a: Uint8Array | undefined, b: Uint8Array): boolean => !!a && a.length === b.length && a.every((x, i) => x === b[i]);

const espBench = {
  /** An outbound and inbound SA over the same keys (what the gateway's outbound would be), and `packets` sealed packets for open(). */
  setup(suite: string, size: number, packets: number): boolean {
    const spec = parseProposal(suite, 'esp');
    if (!spec.ok) throw new Error(spec.error);
    const encr = spec.value.encr[0]!;
    const integ = spec.value.integ[0];
    const params = { spi: 0xc0ffee01, suite: { encr, integ, dh: undefined }, encrKey: bytes(encr.keyLength, 3), ...(integ ? { integKey: bytes(integ.keyLength, 4) } : {}) };
    const deps = { random, drops: new DropCounter(silentLogger('esp')) };
    const outbound = new EspOutboundSa(params, deps);
    const inbound = new EspInboundSa(params, deps);
    const inner = bytes(size, 9);
    inner[0] = 0x45;
    const sealed: Uint8Array[] = [];
    for (let i = 0; i < packets; i++) sealed.push(outbound.protect(inner)!);
    const prim = noble(suite, params.encrKey.subarray(0, encr.cipherKeyLength), params.integKey ?? new Uint8Array(0), inner);
    state = { outbound, inbound, inner, sealed, next: 0, ...prim };
    // Both paths give back the inner packet, so the figures are for working code.
    const opened = inbound.open(sealed[state.next++]!);
    const viaNoble = prim.nobleDecrypt();
    return equal(opened, inner) && equal(viaNoble, inner);
  },
  agentEncrypt(n: number): number {
    const s = current();
    let total = 0;
    for (let i = 0; i < n; i++) total += s.outbound.protect(s.inner)!.length;
    return total;
  },
  /** Opens the next n sealed packets (sequence numbers rise, so the replay window lets each through once). */
  agentDecrypt(n: number): number {
    const s = current();
    if (s.next + n > s.sealed.length) throw new Error('espBench.setup: not enough sealed packets');
    let ok = 0;
    for (let i = 0; i < n; i++) if (s.inbound.open(s.sealed[s.next++]!)) ok++;
    return ok;
  },
  nobleEncrypt(n: number): number {
    const s = current();
    let total = 0;
    for (let i = 0; i < n; i++) total += s.nobleEncrypt().length;
    return total;
  },
  nobleDecrypt(n: number): number {
    const s = current();
    let total = 0;
    for (let i = 0; i < n; i++) total += s.nobleDecrypt().length;
    return total;
  },
  noop: (): number => 0,
};

(globalThis as { espBench?: typeof espBench }).espBench = espBench;
