import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { TendHome } from './tend.js';

/**
 * A marker variable a test puts in the CLI's environment: every app started by that CLI inherits
 * it, so /proc tells exactly how many processes of the test's apps are alive — duplicates and
 * orphans included, whatever the daemon believes.
 */
export function newMark(): { name: string; value: string } {
  return { name: 'APP_TEST_MARK', value: randomBytes(8).toString('hex') };
}

/** Live (non-zombie) pids whose environment holds the mark, optionally only those of one app name. */
export function markedPids(mark: { name: string; value: string }, app?: string): number[] {
  const needle = Buffer.from(`\0${mark.name}=${mark.value}\0`);
  // Apps carry TEND_APP_NAME; the daemon (which inherits the CLI's environment too) does not.
  const appNeedle = Buffer.from(app === undefined ? '\0TEND_APP_NAME=' : `\0TEND_APP_NAME=${app}\0`);
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`), Buffer.from([0])]);
      if (env.includes(needle) && env.includes(appNeedle)) out.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return out;
}

/**
 * Homes whose apps carry a fresh mark each (see newMark), all cleaned up by `cleanup` (register
 * it with `after`): `home()` gives a new home and its mark.
 */
export function markedHomes(): { home(): { t: TendHome; mark: { name: string; value: string } }; cleanup(): Promise<void> } {
  const homes: TendHome[] = [];
  return {
    home() {
      const mark = newMark();
      const t = new TendHome({ [mark.name]: mark.value });
      homes.push(t);
      return { t, mark };
    },
    async cleanup() {
      for (const h of homes) await h.cleanup();
    },
  };
}
