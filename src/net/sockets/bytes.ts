/** What ECMA-419 write() takes: an ArrayBuffer or any view of one. */
export type ByteSource = ArrayBuffer | ArrayBufferView;

/** A Uint8Array view of `data` (no copy); undefined when it is neither a buffer nor a view. */
export function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}
