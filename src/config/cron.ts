import { cronClass } from '../lib/croner.js';
import { invalidValue } from '../errors.js';

/**
 * Validates a cron pattern with croner, the library the daemon schedules with, so a pattern
 * accepted at `tend start` is one the daemon can run. PM2's syntax: 5 fields, or 6 with seconds
 * first; names (`mon`, `jan`) and `@daily`-style nicknames work.
 */
export function coerceCron(key: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw invalidValue(key, 'a cron pattern like `0 3 * * *`', value);
  const pattern = value.trim().replace(/\s+/g, ' ');
  try {
    const job = new (cronClass())(pattern, { paused: true });
    const next = job.nextRun();
    job.stop();
    if (next === null) throw new Error('it never fires');
  } catch (err) {
    throw invalidValue(
      key,
      `a cron pattern like \`0 3 * * *\` (${(err as Error).message})`,
      value,
      'Five fields: minute hour day-of-month month day-of-week (six with seconds first); e.g. `0 3 * * *` = every day at 03:00.',
    );
  }
  return pattern;
}

/** The next time the pattern fires after `from` (epoch ms), or null. */
export function nextCronRun(pattern: string, from: number): number | null {
  const job = new (cronClass())(pattern, { paused: true });
  const next = job.nextRun(new Date(from));
  job.stop();
  return next === null ? null : next.getTime();
}
