import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { JobSchedules } from '../../src/limits/job-schedules.js';
import type { AppSpec } from '../../src/protocol/app-spec.js';
import type { ProcessInfo, SavedJob } from '../../src/protocol/process-info.js';

const HOUR = 3_600_000;
const STARTED = 1_796_695_868_352;

function schedules(saved: SavedJob): JobSchedules {
  const jobs = new JobSchedules({
    now: () => STARTED + 10_000,
    run: () => undefined,
    runAlongside: () => undefined,
    finished: () => undefined,
    running: () => false,
    changed: () => undefined,
    log: () => undefined,
    saved: new Map([[saved.id, saved]]),
  });
  jobs.set(saved.id, { scheduleIntervalMs: HOUR, overlap: 'skip' } as AppSpec, saved.createdAt);
  return jobs;
}

const running = (startedAt: number): ProcessInfo => ({ id: 0, pid: 4321, startedAt, lastExit: null }) as unknown as ProcessInfo;
const gone = (at: number): ProcessInfo =>
  ({
    id: 0,
    pid: null,
    startedAt: null,
    lastExit: { code: null, signal: null, at, forced: false, unknown: true },
  }) as unknown as ProcessInfo;

describe('a job restored by a daemon killed before its state file recorded the run’s end', () => {
  const lastRun = { startedAt: STARTED, durationMs: 365, code: 3, signal: null };
  const saved: SavedJob = { id: 0, createdAt: 1, lastRun, runStartedAt: null, nextRunAt: STARTED + HOUR, skipped: 0, missed: 0 };

  it('keeps the recorded end of a run that the restored state shows running, then exited unknown', () => {
    const jobs = schedules(saved);
    jobs.onState(running(STARTED));
    jobs.onState(gone(STARTED + 546));
    assert.deepEqual(jobs.status(0)?.lastRun, lastRun);
    jobs.close();
  });

  it('records a newer run’s end as the last run', () => {
    const jobs = schedules(saved);
    jobs.onState(running(STARTED + 5000));
    jobs.onState(gone(STARTED + 5400));
    assert.deepEqual(jobs.status(0)?.lastRun, { startedAt: STARTED + 5000, durationMs: 400, code: null, signal: null });
    jobs.close();
  });
});
