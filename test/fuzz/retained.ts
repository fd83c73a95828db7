/**
 * What a layer keeps between inputs: an estimate, in bytes, of the object graph reachable from its
 * state (V8-like sizes: 16 bytes an object plus 8 a property or element, 24 a Map or Set entry,
 * strings by length, typed arrays by their whole ArrayBuffer, each buffer once). Deterministic,
 * unlike the heap, so a queue or map that grows with input shows up at once. Closures are opaque
 * to it: state captured only by a function is not seen (the heap check after GC covers that).
 */
export function retainedBytes(root: unknown, skip: ReadonlySet<object> = new Set()): number {
  const seen = new Set<object>();
  const buffers = new Set<ArrayBufferLike>();
  const stack: unknown[] = [root];
  let total = 0;
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      total += 16 + v.length;
      continue;
    }
    if (typeof v !== 'object' || v === null || seen.has(v) || skip.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      total += 64;
      if (!buffers.has(v.buffer)) {
        buffers.add(v.buffer);
        total += v.buffer.byteLength;
      }
      continue;
    }
    if (v instanceof ArrayBuffer) {
      if (!buffers.has(v)) {
        buffers.add(v);
        total += 32 + v.byteLength;
      }
      continue;
    }
    if (v instanceof Map) {
      total += 32 + 24 * v.size;
      for (const [k, x] of v) stack.push(k, x);
      continue;
    }
    if (v instanceof Set) {
      total += 32 + 24 * v.size;
      for (const x of v) stack.push(x);
      continue;
    }
    if (Array.isArray(v)) {
      total += 16 + 8 * v.length;
      for (const x of v) stack.push(x);
      continue;
    }
    const keys = Object.keys(v);
    total += 16 + 8 * keys.length;
    for (const k of keys) stack.push((v as Record<string, unknown>)[k]);
  }
  return total;
}
