import type { Cron } from 'croner';
import { cronClass } from '../lib/croner.js';

interface Job {
  pattern: string;
  cron: Cron;
}

/** One croner job per app with a cron_restart; each firing asks for a restart. */
export class CronRestarts {
  private jobs = new Map<number, Job>();

  constructor(
    private readonly fire: (id: number, pattern: string) => void,
    private readonly log: (event: string, data: Record<string, unknown>) => void,
  ) {}

  /** Sets (or replaces, or with null removes) the app's schedule; same pattern = untouched. */
  set(id: number, pattern: string | null): void {
    const current = this.jobs.get(id);
    if (current !== undefined && current.pattern === pattern) return;
    current?.cron.stop();
    this.jobs.delete(id);
    if (pattern === null) return;
    try {
      const cron = new (cronClass())(pattern, { unref: true, protect: true }, () => this.fire(id, pattern));
      this.jobs.set(id, { pattern, cron });
    } catch (err) {
      // Validated at start; a pattern from an old state file may still be refused.
      this.log('cron-invalid', { id, pattern, error: (err as Error).message });
    }
  }

  next(id: number): number | null {
    return this.jobs.get(id)?.cron.nextRun()?.getTime() ?? null;
  }

  close(): void {
    for (const job of this.jobs.values()) job.cron.stop();
    this.jobs.clear();
  }
}
