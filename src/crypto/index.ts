/** ikelet crypto: suites over a backend (backend-api.ts: noble, or native on the device); the algorithms themselves are in ./algorithms (via catalog.ts). */
export * from './ids.ts';
export * from './prf.ts';
export * from './integ.ts';
export * from './encr.ts';
export * from './auth-cipher.ts';
export * from './dh.ts';
export * from './algorithm.ts';
export * from './suites.ts';
export * from './keymat.ts';
export { constantTimeEqual } from './const-time.ts';
