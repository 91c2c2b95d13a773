import { readFileSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import type { JobStatus, SavedJob } from '../protocol/process-info.js';
import { writeFileAtomic } from './atomic-write.js';
import { checkFileSafe } from './home-check.js';

/** Bumped when a record's shape changes; a file of another version is set aside, never guessed at. */
export const JOB_RUNS_VERSION = 1;

export interface LoadedJobs {
  jobs: Map<number, SavedJob>;
  /** What was wrong with the file, for the daemon log. */
  notices: string[];
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function checkLastRun(v: unknown): JobStatus['lastRun'] {
  if (v === null) return null;
  const r = v as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || !isTime(r.startedAt) || !isTime(r.durationMs)) throw new Error('bad lastRun');
  if (!(r.code === null || Number.isInteger(r.code)) || !(r.signal === null || typeof r.signal === 'string'))
    throw new Error('bad lastRun code/signal');
  return { startedAt: r.startedAt, durationMs: r.durationMs, code: r.code as number | null, signal: r.signal as string | null };
}

/** Validates one record; throws with what is wrong. */
export function checkSavedJob(raw: unknown): SavedJob {
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error('not an object');
  if (!isCount(r.id) || !isTime(r.createdAt)) throw new Error('no valid id/createdAt');
  if (!(r.runStartedAt === null || isTime(r.runStartedAt)) || !(r.nextRunAt === null || isTime(r.nextRunAt)))
    throw new Error('bad runStartedAt/nextRunAt');
  if (!isCount(r.skipped) || !isCount(r.missed)) throw new Error('bad skipped/missed');
  return {
    id: r.id,
    createdAt: r.createdAt,
    lastRun: checkLastRun(r.lastRun),
    runStartedAt: r.runStartedAt,
    nextRunAt: r.nextRunAt,
    skipped: r.skipped,
    missed: r.missed,
  };
}

/**
 * Reads jobs.json. A missing file is no job history; a file that is not JSON or of another
 * version is renamed aside (`jobs.json.bad-<time>`) with a notice; a bad record is dropped.
 */
export function readJobRuns(file: string, now: Date): LoadedJobs {
  const notices: string[] = [];
  const jobs = new Map<number, SavedJob>();
  let value: unknown;
  try {
    checkFileSafe(file);
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { jobs, notices };
    return setAside(file, (err as Error).message, now, jobs, notices);
  }
  const v = value as { version?: unknown; jobs?: unknown } | null;
  if (typeof v !== 'object' || v === null || v.version !== JOB_RUNS_VERSION || !Array.isArray(v.jobs))
    return setAside(file, `not a version ${JOB_RUNS_VERSION} jobs file`, now, jobs, notices);
  v.jobs.forEach((raw, i) => {
    try {
      const job = checkSavedJob(raw);
      jobs.set(job.id, job);
    } catch (err) {
      notices.push(`${basename(file)}: job #${i} dropped: ${(err as Error).message}`);
    }
  });
  return { jobs, notices };
}

function setAside(file: string, why: string, now: Date, jobs: Map<number, SavedJob>, notices: string[]): LoadedJobs {
  const aside = `${file}.bad-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(file, aside);
    notices.push(`${basename(file)} could not be used (${why}); kept as ${basename(aside)}; jobs' last runs start empty`);
  } catch (err) {
    notices.push(`${basename(file)} could not be used (${why}) nor moved aside (${(err as Error).message})`);
  }
  return { jobs, notices };
}

/** Writes every job's record atomically; throws E_WRITE_FAILED (the old file is then unchanged). */
export function writeJobRuns(file: string, jobs: SavedJob[]): void {
  writeFileAtomic(file, JSON.stringify({ version: JOB_RUNS_VERSION, jobs }), 0o600, true);
}
