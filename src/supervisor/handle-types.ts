import type { AppSpec, ExitRecord, HealthStatus, JobStatus, ListenPort, LogPaths, ReloadReport } from '../protocol/model.js';
import type { HolderStatus } from '../protocol/holder.js';
import type { HeldApp, HeldSaved } from './held-app.js';
import type { ProcScan } from './proc-scan.js';
import type { ProcessHandle } from './process-handle.js';
import type { Snapshot } from './process-machine.js';

/** What a process handle needs from the daemon, passed in (no globals). */
export interface HandleDeps {
  now(): number;
  /** State changed: persist and tell subscribers. */
  changed(p: ProcessHandle): void;
  /** The app was deleted after its stop completed. */
  removed(p: ProcessHandle): void;
  log(event: string, data: Record<string, unknown>): void;
  /** Adopted processes are not our children: their death is seen by a /proc check. */
  watchAdopted(p: ProcessHandle, on: boolean): void;
  /** The attach socket of a PTY app (TEND_HOME/pty/<id>.sock). */
  ptySocket(id: number): string;
  /** Puts FIFOs at the paths (see FifoPool). */
  makeFifos(paths: string[]): void;
  /** Calls `fn` with a /proc scan taken after this call, shared by every app asking (see ProcScanScheduler). */
  afterScan(fn: (scan: ProcScan) => void): void;
  /** Cluster / socket-activated apps: the daemon's side of their holder process. */
  makeHeld(p: ProcessHandle, saved: HeldSaved, changed: (s: HolderStatus) => void): HeldApp;
  /** The app's log files now (PM2 apps see them as `pm_out_log_path`/`pm_err_log_path`). */
  logPaths(p: ProcessHandle): LogPaths;
  /** A fresh run token (see run-finder.ts). */
  newToken(p: ProcessHandle): string;
  /** Records what is about to happen before it happens (the intent journal); never throws. */
  intent(p: ProcessHandle, entry: IntentEntry): void;
  /** What the sampler and the health checks know of this run (all null when not watched). */
  observe(id: number, pid: number | null): Observed;
}

export interface Observed {
  cpuPercent: number | null;
  memoryBytes: number | null;
  health: HealthStatus | null;
  /** Listening ports of the run's process tree; null (or absent) until scanned. */
  ports?: ListenPort[] | null;
  /** A scheduled job's next and last run; null (or absent) for other apps. */
  job?: JobStatus | null;
}

/** Restarts tend decided on its own, by cause. */
export type LimitKind = 'memory' | 'cron' | 'health' | 'age';
export interface LimitRestarts {
  /** `age` is absent in state saved before max_age existed. */
  counts: Record<Exclude<LimitKind, 'age'>, number> & { age?: number };
  last: { reason: string; at: number } | null;
}

/** Journal entries a handle writes: before a spawn, right after it, and before a stop. */
export type IntentEntry =
  /** `restarts`: the count this run starts with (a restart is counted before its spawn). */
  | { op: 'spawn'; token: string; restarts: number }
  | { op: 'spawned'; token: string; pid: number; startTicks: string | null }
  | { op: 'stop'; remove: boolean };

/** The persisted form: enough for the next daemon to adopt the running process. */
export interface ProcessRecord {
  id: number;
  spec: AppSpec;
  createdAt: number;
  restarts: number;
  snapshot: Snapshot;
  pid: number | null;
  startTicks: string | null;
  startedAt: number | null;
  lastExit: ExitRecord | null;
  /** Marks every process of the current incarnation (see kill-tree.ts). */
  token: string | null;
  /** Held apps: the id of each instance (instance 0 has the app's id). */
  instanceIds?: number[];
  /** Held apps: the last reload's outcome. */
  lastReload?: ReloadReport | null;
  /** Absent in state files written before limits existed. */
  limits?: LimitRestarts;
}
