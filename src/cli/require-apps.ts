import { TendError } from '../errors.js';

/**
 * PM2 exits 1 when `all` finds no app to act on (`pm2 reload all` with nothing managed); so does
 * every tend verb that takes `all`: a script that deploys with `tend reload all` learns that
 * nothing was reloaded.
 */
export function requireAppsForAll(count: number, targets: ReadonlyArray<string | number>, verb: string): void {
  if (count > 0 || !targets.some((t) => String(t).trim() === 'all')) return;
  throw new TendError('E_APP_NOT_FOUND', `no app to ${verb}: tend manages no app`, {
    hint: 'Start one with `tend start <script>`; `tend list` shows them.',
  });
}
