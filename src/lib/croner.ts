import { createRequire } from 'node:module';
import type { Cron } from 'croner';

let loaded: typeof Cron | undefined;

/**
 * croner's Cron class, required from node_modules on first use: bundled, its 42 kB were parsed
 * by every `tend start` and `tend restart` and by the daemon, for apps that mostly have no cron
 * pattern.
 */
export function cronClass(): typeof Cron {
  loaded ??= (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron;
  return loaded;
}
