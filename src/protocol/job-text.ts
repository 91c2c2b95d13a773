import type { JobStatus } from './process-info.js';

/**
 * A scheduled job's last and next run in a few words: `exit 0 in 1.2s, next 14:05:00 (+1 queued)`;
 * the next time in local time; shared by list, monit and the dashboard (each writes durations its own way).
 */
export function formatJob(job: JobStatus, duration: (ms: number) => string): string {
  const last =
    job.lastRun === null
      ? 'not run yet'
      : `${job.lastRun.signal ?? `exit ${String(job.lastRun.code)}`} in ${duration(job.lastRun.durationMs)}`;
  const next = job.nextRunAt === null ? 'no next run' : `next ${new Date(job.nextRunAt).toLocaleTimeString('en-GB')}`;
  const alongside = job.alongside?.length ?? 0;
  return `${last}, ${next}${job.queued ? ' (+1 queued)' : ''}${alongside > 0 ? ` (+${alongside} alongside)` : ''}`;
}
