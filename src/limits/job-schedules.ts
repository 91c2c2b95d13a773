import type { Cron } from 'croner';
import { cronClass } from '../lib/croner.js';
import { setLongTimeout, type LongTimeout } from '../lib/long-timeout.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { JobStatus, ProcessInfo, SavedJob } from '../protocol/process-info.js';
import { AlongsideRuns, MAX_RUNS_AT_ONCE } from './job-alongside.js';

/** At most this many missed due times are counted after a long downtime (the count says "at least"). */
const MISSED_COUNT_CAP = 10_000;

interface Entry {
  key: string;
  createdAt: number;
  overlap: 'skip' | 'queue' | 'allow';
  cron: Cron | null;
  timer: LongTimeout | null;
  intervalMs: number | null;
  nextAt: number | null;
  queued: boolean;
  skipped: number;
  missed: number;
  runStartedAt: number | null;
  lastRun: JobStatus['lastRun'];
}

/** What started a run: its time, `tend trigger`/`start`, or a run queued behind the previous one. */
export type RunCause = 'schedule' | 'trigger' | 'queued';

export interface JobSchedulesOptions {
  now(): number;
  /** Start a run now (the app is not running). */
  run(id: number, why: RunCause): void;
  /** overlap: allow: start a run alongside the running one (see job-alongside.ts). */
  runAlongside(id: number, why: RunCause): void;
  /** A run alongside ended: its app is to be deleted. */
  finished(runId: number): void;
  running(id: number): boolean;
  /** What list and describe show of the job changed (a schedule set, a skip, a queued or finished run). */
  changed(id: number): void;
  log(event: string, data: Record<string, unknown>): void;
  /** What the previous daemon kept (jobs.json), by app id. */
  saved?: Map<number, SavedJob>;
  /** Keeps every job's record (after a run's start or end, a schedule set, a skip). */
  save?(jobs: SavedJob[]): void;
}

/**
 * Scheduled jobs (`schedule`, `schedule_interval`): one croner job or interval timer per app. A
 * due time while the previous run still runs is skipped or queues one run (`overlap`). Each run's
 * start and end are seen through the app's state changes (last run: exit code, duration).
 * Each job's record (last run, next time) is saved, so a restarted daemon shows the last run and
 * keeps an interval's phase. Missed runs are not caught up: a due time that passed while no daemon
 * ran is counted in `missed`, and the next run is the schedule's next time after the restart.
 */
export class JobSchedules {
  private readonly jobs = new Map<number, Entry>();
  readonly alongside = new AlongsideRuns();
  private saveQueued = false;
  private closed = false;

  constructor(private readonly opts: JobSchedulesOptions) {}

  /** Sets, replaces or (null) removes the app's schedule; an unchanged schedule is untouched. */
  set(id: number, spec: AppSpec | null, createdAt = 0): void {
    const key = spec === null ? '' : JSON.stringify([spec.schedule, spec.scheduleIntervalMs, spec.overlap]);
    const current = this.jobs.get(id);
    if (current?.key === key) return;
    const saved = this.opts.saved?.get(id);
    const kept = current ?? (saved?.createdAt === createdAt ? saved : undefined);
    this.stop(id);
    if (spec === null || key === '' || (spec.schedule === undefined && spec.scheduleIntervalMs === undefined)) {
      if (current !== undefined) this.queueSave();
      return;
    }
    const e: Entry = {
      key,
      createdAt,
      overlap: spec.overlap ?? 'skip',
      cron: null,
      timer: null,
      intervalMs: spec.scheduleIntervalMs ?? null,
      nextAt: null,
      queued: false,
      skipped: kept?.skipped ?? 0,
      missed: kept?.missed ?? 0,
      runStartedAt: kept?.runStartedAt ?? null,
      lastRun: kept?.lastRun ?? null,
    };
    this.jobs.set(id, e);
    this.opts.saved?.delete(id);
    // The same schedule as the previous daemon's: its next time is kept, or counted as missed.
    const resumeAt = current === undefined && saved === kept && saved?.nextRunAt != null ? saved.nextRunAt : null;
    if (spec.schedule !== undefined) {
      try {
        e.cron = new (cronClass())(spec.schedule, { unref: true, protect: true }, () => {
          this.due(id);
        });
        if (resumeAt !== null) this.countMissed(id, e, resumeAt, (at) => e.cron?.nextRun(new Date(at))?.getTime() ?? null);
      } catch (err) {
        this.opts.log('schedule-invalid', { id, schedule: spec.schedule, error: (err as Error).message });
      }
    } else {
      const ms = e.intervalMs as number;
      const first = resumeAt === null ? null : this.countMissed(id, e, resumeAt, (at) => at + ms);
      this.arm(id, e, first);
    }
    this.queueSave();
    queueMicrotask(() => this.opts.changed(id));
  }

  /** Counts the due times from `from` (a saved next time) that passed while no daemon ran; the first one still to come. */
  private countMissed(id: number, e: Entry, from: number, next: (at: number) => number | null): number | null {
    const now = this.opts.now();
    let at: number | null = from;
    let missed = 0;
    while (at !== null && at <= now && missed < MISSED_COUNT_CAP) {
      missed += 1;
      at = next(at);
    }
    if (missed > 0) {
      e.missed += missed;
      this.opts.log('job-missed', { id, missed, since: new Date(from).toISOString(), rule: 'not caught up' });
    }
    return at !== null && at > now ? at : null;
  }

  /** Arms an interval job for `at` (a kept next time), or one interval from now. */
  private arm(id: number, e: Entry, at: number | null = null): void {
    const now = this.opts.now();
    e.nextAt = at ?? now + (e.intervalMs as number);
    e.timer = setLongTimeout(() => {
      e.timer = null;
      this.arm(id, e);
      this.due(id);
    }, e.nextAt - now);
  }

  /** A due time, or `tend trigger`: run now, or apply the overlap policy. Returns what happened. */
  due(id: number, why: RunCause = 'schedule'): 'started' | 'queued' | 'skipped' {
    const e = this.jobs.get(id);
    if (this.opts.running(id)) {
      if (e?.overlap === 'queue') {
        e.queued = true;
        this.opts.changed(id);
        this.opts.log('job-queued', { id, why });
        return 'queued';
      }
      const going = 1 + this.alongside.count(id);
      if (e?.overlap === 'allow' && going < MAX_RUNS_AT_ONCE) {
        this.opts.log('job-run', { id, why, alongside: going });
        this.opts.runAlongside(id, why);
        return 'started';
      }
      if (e !== undefined) e.skipped += 1;
      this.queueSave();
      this.opts.changed(id);
      const reason =
        e?.overlap === 'allow'
          ? `${going} runs are going (overlap: allow runs at most ${MAX_RUNS_AT_ONCE})`
          : 'the previous run is still running';
      this.opts.log('job-skipped', { id, why, reason });
      return 'skipped';
    }
    this.opts.log('job-run', { id, why });
    this.opts.run(id, why);
    return 'started';
  }

  /** Every state change of the app: a run's start, its end (then a queued run starts). */
  onState(info: ProcessInfo): void {
    const e = this.jobs.get(info.id);
    if (e === undefined) return;
    if (info.pid !== null && info.startedAt !== null) {
      // A run already recorded as ended (a daemon killed before its state file said so shows it
      // running after the restore, then its exit as unknown): its recorded end stands.
      if (e.runStartedAt === null && e.lastRun?.startedAt === info.startedAt) return;
      if (e.runStartedAt !== info.startedAt) this.queueSave();
      e.runStartedAt = info.startedAt;
      return;
    }
    const exit = info.lastExit;
    if (info.pid === null && e.runStartedAt !== null && exit !== null && exit.at >= e.runStartedAt && !this.opts.running(info.id)) {
      e.lastRun = { startedAt: e.runStartedAt, durationMs: exit.at - e.runStartedAt, code: exit.code, signal: exit.signal };
      e.runStartedAt = null;
      this.queueSave();
      queueMicrotask(() => this.opts.changed(info.id));
      if (e.queued) {
        e.queued = false;
        queueMicrotask(() => this.due(info.id, 'queued'));
      }
    }
  }

  /** A state change of a run alongside job `jobId`: its end counts as the job's last run. */
  onRunState(info: ProcessInfo, jobId: number): void {
    const end = this.alongside.onState(info, jobId, this.opts.running(info.id));
    queueMicrotask(() => this.opts.changed(jobId));
    if (end === undefined) return;
    const e = this.jobs.get(jobId);
    if (e !== undefined && end.lastRun !== null) {
      e.lastRun = end.lastRun;
      this.queueSave();
    }
    this.opts.finished(info.id);
  }

  status(id: number): JobStatus | null {
    const e = this.jobs.get(id);
    if (e === undefined) return null;
    const alongside = this.alongside.of(id);
    return {
      nextRunAt: this.nextOf(e),
      lastRun: e.lastRun,
      queued: e.queued,
      skipped: e.skipped,
      missed: e.missed,
      ...(alongside.length === 0 ? {} : { alongside }),
    };
  }

  private nextOf(e: Entry): number | null {
    return e.cron !== null ? (e.cron.nextRun()?.getTime() ?? null) : e.nextAt;
  }

  /** Saves every job's record once the current turn's changes are made. */
  private queueSave(): void {
    if (this.saveQueued || this.closed || this.opts.save === undefined) return;
    this.saveQueued = true;
    queueMicrotask(() => {
      this.saveQueued = false;
      if (this.closed) return;
      const records = [...this.jobs].map(([id, e]): SavedJob => {
        const { createdAt, lastRun, runStartedAt, skipped, missed } = e;
        return { id, createdAt, lastRun, runStartedAt, nextRunAt: this.nextOf(e), skipped, missed };
      });
      this.opts.save?.(records);
    });
  }

  private stop(id: number): void {
    const e = this.jobs.get(id);
    e?.cron?.stop();
    e?.timer?.cancel();
    this.jobs.delete(id);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.jobs.keys()]) this.stop(id);
  }
}
