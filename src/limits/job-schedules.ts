import type { Cron } from 'croner';
import { cronClass } from '../lib/croner.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { JobStatus, ProcessInfo } from '../protocol/process-info.js';

interface Entry {
  key: string;
  overlap: 'skip' | 'queue';
  cron: Cron | null;
  timer: NodeJS.Timeout | null;
  intervalMs: number | null;
  nextAt: number | null;
  queued: boolean;
  skipped: number;
  runStartedAt: number | null;
  lastRun: JobStatus['lastRun'];
}

/** What started a run: its time, `tend trigger`/`start`, or a run queued behind the previous one. */
export type RunCause = 'schedule' | 'trigger' | 'queued';

export interface JobSchedulesOptions {
  now(): number;
  /** Start a run now (the app is not running). */
  run(id: number, why: RunCause): void;
  running(id: number): boolean;
  /** What list and describe show of the job changed (a schedule set, a skip, a queued or finished run). */
  changed(id: number): void;
  log(event: string, data: Record<string, unknown>): void;
}

/**
 * Scheduled jobs (`schedule`, `schedule_interval`): one croner job or interval timer per app. A
 * due time while the previous run still runs is skipped or queues one run (`overlap`). Each run's
 * start and end are seen through the app's state changes (last run: exit code, duration).
 * Missed runs are not caught up: times are only ever in the future of when the schedule is set.
 */
export class JobSchedules {
  private readonly jobs = new Map<number, Entry>();

  constructor(private readonly opts: JobSchedulesOptions) {}

  /** Sets, replaces or (null) removes the app's schedule; an unchanged schedule is untouched. */
  set(id: number, spec: AppSpec | null): void {
    const key = spec === null ? '' : JSON.stringify([spec.schedule, spec.scheduleIntervalMs, spec.overlap]);
    const current = this.jobs.get(id);
    if (current?.key === key) return;
    const kept = current === undefined ? null : { lastRun: current.lastRun, runStartedAt: current.runStartedAt };
    this.stop(id);
    if (spec === null || key === '' || (spec.schedule === undefined && spec.scheduleIntervalMs === undefined)) return;
    const e: Entry = {
      key,
      overlap: spec.overlap ?? 'skip',
      cron: null,
      timer: null,
      intervalMs: spec.scheduleIntervalMs ?? null,
      nextAt: null,
      queued: false,
      skipped: 0,
      runStartedAt: kept?.runStartedAt ?? null,
      lastRun: kept?.lastRun ?? null,
    };
    this.jobs.set(id, e);
    if (spec.schedule !== undefined) {
      try {
        e.cron = new (cronClass())(spec.schedule, { unref: true, protect: true }, () => {
          this.due(id);
        });
      } catch (err) {
        this.opts.log('schedule-invalid', { id, schedule: spec.schedule, error: (err as Error).message });
      }
    } else this.arm(id, e);
    queueMicrotask(() => this.opts.changed(id));
  }

  private arm(id: number, e: Entry): void {
    const ms = e.intervalMs as number;
    e.nextAt = this.opts.now() + ms;
    e.timer = setTimeout(() => {
      e.timer = null;
      this.arm(id, e);
      this.due(id);
    }, ms);
    e.timer.unref();
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
      if (e !== undefined) e.skipped += 1;
      this.opts.changed(id);
      this.opts.log('job-skipped', { id, why, reason: 'the previous run is still running' });
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
      e.runStartedAt = info.startedAt;
      return;
    }
    const exit = info.lastExit;
    if (info.pid === null && e.runStartedAt !== null && exit !== null && exit.at >= e.runStartedAt && !this.opts.running(info.id)) {
      e.lastRun = { startedAt: e.runStartedAt, durationMs: exit.at - e.runStartedAt, code: exit.code, signal: exit.signal };
      e.runStartedAt = null;
      queueMicrotask(() => this.opts.changed(info.id));
      if (e.queued) {
        e.queued = false;
        queueMicrotask(() => this.due(info.id, 'queued'));
      }
    }
  }

  status(id: number): JobStatus | null {
    const e = this.jobs.get(id);
    if (e === undefined) return null;
    const next = e.cron !== null ? (e.cron.nextRun()?.getTime() ?? null) : e.nextAt;
    return { nextRunAt: next, lastRun: e.lastRun, queued: e.queued, skipped: e.skipped };
  }

  private stop(id: number): void {
    const e = this.jobs.get(id);
    e?.cron?.stop();
    if (e?.timer != null) clearTimeout(e.timer);
    this.jobs.delete(id);
  }

  close(): void {
    for (const id of [...this.jobs.keys()]) this.stop(id);
  }
}
