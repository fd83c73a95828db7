/** ESP tunnel-mode SAs, anti-replay and NAT-T framing. */
export * from './constants.ts';
export * from './replay.ts';
export * from './sa.ts';
export * from './natt.ts';
