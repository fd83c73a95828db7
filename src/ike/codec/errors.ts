import type { DecodeResult, IkeParseErrorCode } from './types.ts';

export function fail<T>(code: IkeParseErrorCode, message: string, payloadType?: number): DecodeResult<T> {
  return { ok: false, error: payloadType === undefined ? { code, message } : { code, message, payloadType } };
}
