/**
 * Why an establishment attempt failed. The gateway's error notifies keep their RFC 7296 names;
 * failures we detect ourselves get names of the same style.
 */
export type IkeErrorCause =
  | 'AUTHENTICATION_FAILED' // the gateway rejected our AUTH (wrong PSK, unknown identity)
  | 'NO_PROPOSAL_CHOSEN'
  | 'INVALID_KE_PAYLOAD' // the gateway wants a group we are not configured to offer
  | 'TS_UNACCEPTABLE'
  | 'FAILED_CP_REQUIRED'
  | 'INTERNAL_ADDRESS_FAILURE'
  | 'PEER_AUTH_MISMATCH' // the gateway's AUTH did not verify with our PSK
  | 'PEER_ID_MISMATCH' // the gateway's IDr is not config.remoteId
  | 'PROPOSAL_MISMATCH' // the gateway chose something we did not offer
  | 'TS_MISMATCH' // the gateway narrowed outside what we asked for
  | 'NO_VIRTUAL_IP' // no INTERNAL_IP4_ADDRESS in the CP reply
  | 'TIMEOUT' // no response after all retransmissions
  | 'PROTOCOL_ERROR' // a response we cannot use (missing payloads, bad KE, too many COOKIE rounds)
  | 'GATEWAY_ERROR'; // another error notify from the gateway (the detail names it)

export interface IkeFailure {
  cause: IkeErrorCause;
  detail: string;
  /**
   * Said by a gateway not authenticated yet (an error notify in an IKE_AUTH response without its
   * AUTH: RFC 7296 2.21.2 asks for caution): it may be a forgery, so it is never taken as permanent.
   */
  unauthenticated?: boolean;
}

export const failure = (cause: IkeErrorCause, detail: string, unauthenticated?: boolean): IkeFailure =>
  unauthenticated ? { cause, detail, unauthenticated } : { cause, detail };

const NOTIFY_CAUSES = new Set<string>(['AUTHENTICATION_FAILED', 'NO_PROPOSAL_CHOSEN', 'INVALID_KE_PAYLOAD', 'TS_UNACCEPTABLE', 'FAILED_CP_REQUIRED', 'INTERNAL_ADDRESS_FAILURE']);

/** The cause for an error notify from the gateway, by its RFC name. */
export function causeOfNotify(name: string): IkeErrorCause {
  return NOTIFY_CAUSES.has(name) ? (name as IkeErrorCause) : 'GATEWAY_ERROR';
}

/**
 * Failures that will not go away by themselves: the gateway refuses this configuration. After the
 * quick attempts the agent retries at its longest interval and says why, once.
 */
const PERMANENT = new Set<IkeErrorCause>([
  'AUTHENTICATION_FAILED', 'NO_PROPOSAL_CHOSEN', 'INVALID_KE_PAYLOAD', 'TS_UNACCEPTABLE', 'FAILED_CP_REQUIRED',
  'PEER_AUTH_MISMATCH', 'PEER_ID_MISMATCH', 'PROPOSAL_MISMATCH', 'TS_MISMATCH', 'NO_VIRTUAL_IP',
]);

export const isPermanent = (f: IkeFailure): boolean => PERMANENT.has(f.cause) && !f.unauthenticated;
