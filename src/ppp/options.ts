/** Configuration options: the type-length-value list carried by Configure-Request/Ack/Nak/Reject. */

export interface ConfigOption {
  type: number;
  data: Uint8Array; // value only, without type and length
}

/** Parses an option list; undefined when an option's length is below 2 or overruns the packet. */
export function parseOptions(bytes: Uint8Array): ConfigOption[] | undefined {
  const out: ConfigOption[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (i + 2 > bytes.length) return undefined;
    const length = bytes[i + 1]!;
    if (length < 2 || i + length > bytes.length) return undefined;
    out.push({ type: bytes[i]!, data: bytes.subarray(i + 2, i + length) });
    i += length;
  }
  return out;
}

export function encodeOptions(options: readonly ConfigOption[]): Uint8Array {
  let length = 0;
  for (const o of options) length += 2 + o.data.length;
  const out = new Uint8Array(length);
  let i = 0;
  for (const o of options) {
    out[i] = o.type;
    out[i + 1] = 2 + o.data.length;
    out.set(o.data, i + 2);
    i += 2 + o.data.length;
  }
  return out;
}

export function option(type: number, data: Uint8Array | number[] = []): ConfigOption {
  return { type, data: data instanceof Uint8Array ? data : Uint8Array.from(data) };
}

export function u16Option(type: number, value: number): ConfigOption {
  return option(type, [value >>> 8, value & 0xff]);
}

export function u32Option(type: number, value: number): ConfigOption {
  return option(type, [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}
