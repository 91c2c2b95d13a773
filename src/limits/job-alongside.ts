import type { AppSpec } from '../protocol/app-spec.js';
import type { JobStatus, ProcessInfo } from '../protocol/process-info.js';

/** overlap: allow: at most this many runs of one job at once (its own and the ones alongside). */
export const MAX_RUNS_AT_ONCE = 4;

interface Run {
  jobId: number;
  name: string;
  pid: number | null;
  startedAt: number | null;
  /** Its process was seen: a later state without one is the run's end. */
  seen: boolean;
}

/**
 * A run alongside a job's running one (overlap: allow) is an app of its own, `<job>~N`: a task
 * with the job's command and environment, its own pid, log files and state (so the state
 * machine runs it, state.json keeps it and a new daemon adopts it after a kill -9), and no
 * schedule. It is deleted when its run ends; it is never saved (see dump-handlers) nor exported.
 */
export function alongsideSpec(job: AppSpec, jobId: number, name: string, logs: { out: string; err: string }): AppSpec {
  const {
    schedule: _schedule,
    scheduleIntervalMs: _every,
    overlap: _overlap,
    runAtStart: _runAtStart,
    configFile: _configFile,
    dependsOn: _dependsOn,
    watch: _watch,
    maxAgeMs: _maxAge,
    maxAgeJitterMs: _jitter,
    hooks: _hooks,
    ...rest
  } = job;
  return { ...rest, name, task: true, runOf: jobId, log: { ...job.log, outFile: logs.out, errFile: logs.err, combinedFile: null } };
}

/** The runs alongside, by their app id; what is going, and each run's end. */
export class AlongsideRuns {
  private readonly runs = new Map<number, Run>();
  /** Runs that ended, until their app is deleted (its last state changes are not a new run). */
  private readonly ended = new Set<number>();

  /** How many runs of the job go alongside its own. */
  count(jobId: number): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.jobId === jobId) n += 1;
    return n;
  }

  of(jobId: number): NonNullable<JobStatus['alongside']> {
    return [...this.runs].filter(([, r]) => r.jobId === jobId).map(([id, r]) => ({ id, name: r.name, pid: r.pid }));
  }

  /** The run apps of these jobs. */
  idsOf(jobIds: readonly number[]): number[] {
    return [...this.runs].filter(([, r]) => jobIds.includes(r.jobId)).map(([id]) => id);
  }

  /**
   * A state change of a run app. Returns its figures once it ended (a run that never got a
   * process, or whose start is unknown, has none: `null` then), else undefined.
   */
  onState(info: ProcessInfo, jobId: number, running: boolean): { ended: true; lastRun: JobStatus['lastRun'] } | undefined {
    const r = this.runs.get(info.id) ?? { jobId, name: info.name, pid: null, startedAt: null, seen: false };
    this.runs.set(info.id, r);
    if (info.pid !== null) {
      r.pid = info.pid;
      r.startedAt = info.startedAt ?? r.startedAt;
      r.seen = true;
      return undefined;
    }
    r.pid = null;
    const exit = info.lastExit;
    if (running || (!r.seen && exit === null && info.status !== 'errored')) return undefined;
    this.runs.delete(info.id);
    this.ended.add(info.id);
    const lastRun =
      exit !== null && r.startedAt !== null && exit.at >= r.startedAt
        ? { startedAt: r.startedAt, durationMs: exit.at - r.startedAt, code: exit.code, signal: exit.signal }
        : null;
    return { ended: true, lastRun };
  }

  /** The run's app is deleted. */
  drop(id: number): void {
    this.runs.delete(id);
    this.ended.delete(id);
  }
}
