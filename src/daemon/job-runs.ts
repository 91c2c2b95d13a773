import type { Health } from '../lib/health.js';
import type { SavedJob } from '../protocol/process-info.js';
import { describeWriteError, isDiskError } from '../store/atomic-write.js';
import { readJobRuns, writeJobRuns } from '../store/job-runs-file.js';
import { defaultLogFile, type TendPaths } from '../store/paths.js';
import type { LogRouter } from './log-router.js';
import type { ObserverOptions } from './observer.js';

/** How often a failed jobs.json write is tried again. */
const RETRY_MS = 1000;

/**
 * What the observer's scheduled jobs need from the daemon: their records across daemon restarts
 * (jobs.json: what the previous daemon kept, and a writer), the log of each run (a header line
 * in the job's log; the files of a run alongside). A failed write is said through `health` and
 * tried again until it works; the daemon keeps the figures in memory meanwhile.
 */
export function jobOptions(
  paths: TendPaths,
  log: (event: string, data: Record<string, unknown>) => void,
  health: Health,
  logs: LogRouter,
): Pick<ObserverOptions, 'savedJobs' | 'saveJobs' | 'note' | 'runLogs'> {
  const loaded = readJobRuns(paths.jobsFile, new Date());
  for (const notice of loaded.notices) log('jobs-file', { notice });
  let pending: SavedJob[] | null = null;
  let retry: NodeJS.Timeout | null = null;
  const write = (): void => {
    if (pending === null) return;
    try {
      writeJobRuns(paths.jobsFile, pending);
      pending = null;
      health.set('jobs', null);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      health.set(
        'jobs',
        `${isDiskError(cause) ? 'disk full or failing: ' : ''}cannot write ${paths.jobsFile} (${describeWriteError(cause)}); jobs' last runs are kept in memory and written again when it works`,
      );
      if (retry === null) {
        retry = setTimeout(() => {
          retry = null;
          write();
        }, RETRY_MS);
        retry.unref();
      }
    }
  };
  return {
    savedJobs: loaded.jobs,
    saveJobs: (jobs) => {
      pending = jobs;
      write();
    },
    note: (id, line) => logs.note(id, line),
    runLogs: (name) => ({ out: defaultLogFile(paths, name, 'out'), err: defaultLogFile(paths, name, 'err') }),
  };
}
