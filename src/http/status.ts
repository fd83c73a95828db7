/** Status codes a caller did not expect, as named errors (the client reports status as is). */
export type HttpStatusErrorName =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'range-not-satisfiable'
  | 'client-error'
  | 'redirect-not-followed'
  | 'server-error'
  | 'service-unavailable'
  | 'unexpected-status';

export function statusError(status: number): HttpStatusErrorName {
  switch (status) {
    case 400: return 'bad-request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not-found';
    case 416: return 'range-not-satisfiable';
    case 503: return 'service-unavailable';
    default:
      if (status >= 300 && status < 400) return 'redirect-not-followed';
      if (status >= 400 && status < 500) return 'client-error';
      if (status >= 500 && status < 600) return 'server-error';
      return 'unexpected-status';
  }
}
