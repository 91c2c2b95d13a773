/**
 * What the daemon reports about each managed process: its status, the list row
 * (`ProcessInfo`), `describe`'s detail, and the records inside them.
 * No Node imports here: this folder is type-checked with `"types": []` so a browser bundle can
 * import it.
 */

import type { AppSpec } from './app-spec.js';
import type { LogPaths } from './logs.js';
import type { HolderFigures, TreeProcess } from './metrics.js';
import type { ListenPort } from './ports.js';

/** Start of the `reason` of an app that is online only because wait_ready's listen_timeout passed. */
export const READY_NEVER_CAME = 'no `ready` message came';
/** The `reason` of a `task` app that ran to completion (stopped, exit code 0). */
export const TASK_COMPLETED = 'completed (exit code 0)';

/** Wire status names, PM2-compatible: produced from the internal machine state at the edge. */
export type ProcessStatus =
  | 'launching'
  | 'online'
  | 'stopping'
  | 'stopped'
  | 'waiting-restart'
  | 'errored'
  /** Held until the apps it depends on (depends_on) are started, ready or healthy; `reason` says which. */
  | 'waiting';

/** Health as shown in `list`: `starting` until the first check passes or start_period ends. */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One process of a cluster or socket-activated app, as its holder reports it. */
export interface InstanceInfo {
  /** 0-based instance number (NODE_APP_INSTANCE). */
  instance: number;
  pid: number | null;
  status: ProcessStatus;
  restarts: number;
  startedAt: number | null;
  /** How its last process ended (absent from holders older than this field). */
  lastExit?: ExitRecord | null;
  /** Why it last crashed and what the restart policy decided (`exited with code 1; …`). */
  reason?: string | null;
  /** When its restart delay ends (waiting-restart only). */
  nextRestartAt?: number | null;
}

/** The outcome of the last `tend reload` of a pooled app (shown by `describe`). */
export interface ReloadReport {
  at: number;
  ok: boolean;
  /** Instances replaced before the reload stopped (all of them when ok). */
  replaced: number[];
  /** The instance whose new process failed, and why (`exited with code 1`, `not ready within 3000 ms`). */
  failedInstance: number | null;
  reason: string | null;
  /** The app's last stderr lines when the reload failed. */
  stderr: string[];
}

/** How a process last ended. */
export interface ExitRecord {
  /** null when killed by a signal, or when the process was adopted and its code is unknowable. */
  code: number | null;
  signal: string | null;
  at: number;
  /** The stop escalated to SIGKILL after kill_timeout. */
  forced: boolean;
  /** Seen through /proc after re-adoption: the exit status could not be collected. */
  unknown: boolean;
}

/** A scheduled job's runs (`list`, `describe`). */
export interface JobStatus {
  /** Epoch ms; null when the schedule never fires again. */
  nextRunAt: number | null;
  /** The last run this daemon saw end: its start, duration and exit. */
  lastRun: { startedAt: number; durationMs: number; code: number | null; signal: string | null } | null;
  /** A run is queued behind the running one (overlap: queue). */
  queued: boolean;
  /** Due times skipped because a run was still running (overlap: skip). */
  skipped: number;
  /** Due times that passed while no daemon ran (not caught up: see docs/configuration.md). */
  missed: number;
  /** overlap: allow: the runs going alongside the job's own (each an app `<job>~N`); absent when none. */
  alongside?: Array<{ id: number; name: string; pid: number | null }>;
}

/** What a daemon keeps of a scheduled job across its own restart (jobs.json in the home). */
export interface SavedJob {
  id: number;
  /** The app's creation time: a record never passes to another app that got the same id. */
  createdAt: number;
  lastRun: JobStatus['lastRun'];
  /** The run going when it was written (its end is then seen by the next daemon). */
  runStartedAt: number | null;
  /** The next due time when it was written: a restarted daemon keeps the schedule's phase and knows what it missed. */
  nextRunAt: number | null;
  skipped: number;
  missed: number;
}

/** One managed process as the list shows it. */
export interface ProcessInfo {
  id: number;
  name: string;
  namespace: string;
  pid: number | null;
  status: ProcessStatus;
  restarts: number;
  /** Time since the current incarnation started; 0 when not running. */
  uptimeMs: number;
  createdAt: number;
  startedAt: number | null;
  /** The current process was re-adopted from a previous daemon. */
  adopted: boolean;
  lastExit: ExitRecord | null;
  /** Why the app is errored or waiting, for humans. */
  reason: string | null;
  /** When the next restart is scheduled (waiting-restart only). */
  nextRestartAt: number | null;
  /**
   * CPU % of one core over the last sample, summed over the app's process tree (an instance of a
   * pooled app: its own worker's tree); null when not running or not sampled yet.
   */
  cpuPercent: number | null;
  /** RSS of the app's whole process tree (an instance: its worker's tree) in bytes; null when not running or not sampled yet. */
  memoryBytes: number | null;
  /** Cluster / socket-activated apps: this row's instance number (one row per instance). */
  instance?: number;
  /** The holder process of a cluster / socket-activated app (its id is the app's first row); never a row's `pid`. */
  holderPid?: number | null;
  /** null when the app has no health check or is not running. */
  health?: HealthStatus | null;
  /** The app restarts on file changes (absent in old status files). */
  watching?: boolean;
  /** The app runs on a pseudo-terminal (`tend attach`). */
  pty?: boolean;
  /** Listening ports of the app's whole process tree at the last scan (absent when not running or not scanned yet). */
  ports?: ListenPort[];
  /** Scheduled jobs only: next and last run. */
  job?: JobStatus;
  /** In a reload's answer only: the app was restarted (a short outage) instead, and why. */
  reloadNote?: string;
}

/** `describe`: everything about one process. The spec's env is redacted unless asked. */
export interface ProcessDetail extends ProcessInfo {
  spec: AppSpec;
  logs: LogPaths;
  unstableRestarts: number;
  /** Last error while writing logs (unwritable dir, disk full), null when healthy. */
  logError: string | null;
  /** Every instance of a cluster / socket-activated app, with their ids. */
  instances?: Array<InstanceInfo & { id: number }>;
  /** The last reload of a pooled app (a failed one says which instance and why). */
  lastReload?: ReloadReport | null;
  /**
   * On the record of instance 0 of a pooled app: its pool holder (a cluster app's node:cluster primary) with its
   * own cost, counted here once and in no instance's figures, and the app's total (holder and
   * every instance: the sum of the instances' figures plus the holder's).
   */
  holder?: HolderFigures;
  /** The app's processes as last sampled (main pid first); empty when not running. */
  tree: TreeProcess[];
  /** Restarts caused by max_memory_restart, by cron_restart and by failed health checks. */
  limitRestarts: { memory: number; cron: number; health: number; age?: number };
  /** The last restart tend decided on its own (memory, cron, health), for humans, with its time. */
  lastLimitRestart: { reason: string; at: number } | null;
  /** Next cron_restart time (epoch ms), null without one. */
  nextCronAt: number | null;
  /** max_age: when the current run will be recycled (epoch ms); absent without max_age. */
  nextRecycleAt?: number | null;
  /** The last health check's result. */
  lastHealthCheck: { ok: boolean; at: number; message: string } | null;
  /** Watch mode: what is watched and what the last change was (absent when not watching). */
  watch?: WatchStatus;
}

export interface WatchStatus {
  /** `inotify`, or `polling` (asked for, or after the kernel ran out of inotify watches). */
  mode: 'inotify' | 'polling' | 'off';
  /** Directories (inotify) or files (polling) being watched. */
  watched: number;
  /** Restarts caused by file changes since the daemon started. */
  restarts: number;
  lastChange: { path: string; at: number } | null;
  /** Why the watcher fell back to polling or stopped, null when healthy. */
  notice: string | null;
}
