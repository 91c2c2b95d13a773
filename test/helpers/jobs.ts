import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, type ProcessJson, type TendHome } from './tend.js';

/** A scheduled job's list row (`tend list --json`). */
export type JobJson = ProcessJson & {
  job?: {
    nextRunAt: number | null;
    lastRun: { startedAt: number; durationMs: number; code: number | null; signal?: string | null } | null;
    queued?: boolean;
    skipped: number;
    missed?: number;
    alongside?: Array<{ id: number; name: string; pid: number | null }>;
  };
};

/** The runs of fixture task.js started with `startTask`: one line per run that ended. */
export function taskRuns(t: TendHome, name: string): string[] {
  const f = join(t.home, `${name}.runs`);
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

/** `tend start` of fixture task.js as `name`, recording its runs for `taskRuns`. */
export function startTask(t: TendHome, name: string, ...args: string[]): Promise<unknown> {
  return t.json(['start', fixture('task.js'), '--name', name, '--env', `TASK_FILE=${join(t.home, `${name}.runs`)}`, ...args]);
}
