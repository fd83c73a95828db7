/** The names config.modemProfile may take (the data itself: ./index.ts, bundled one at a time). */
export const PROFILE_NAMES: readonly string[] = Object.freeze(['generic', 'sim7600', 'bg96', 'sim7080', 'a7670', 'sara-r4']);
