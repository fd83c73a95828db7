/**
 * Every modem profile, by config.modemProfile. The device build (scripts/device-modules.ts)
 * replaces this module with one that imports only the configured profile.
 */
import { a7670 } from './a7670.ts';
import { bg96 } from './bg96.ts';
import { generic } from './generic.ts';
import type { ModemProfile } from './profile.ts';
import { saraR4 } from './sara-r4.ts';
import { sim7080 } from './sim7080.ts';
import { sim7600 } from './sim7600.ts';

export const PROFILES: Readonly<Record<string, ModemProfile>> = Object.freeze({ generic, sim7600, bg96, sim7080, a7670, 'sara-r4': saraR4 });
