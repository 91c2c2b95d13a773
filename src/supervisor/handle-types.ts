import type { AppSpec, RunAs } from '../protocol/app-spec.js';
import type { ExitRecord, HealthStatus, JobStatus, ProcessInfo, ReloadReport } from '../protocol/process-info.js';
import type { ListenPort } from '../protocol/ports.js';
import type { LogPaths } from '../protocol/logs.js';
import type { HolderStatus } from '../protocol/holder.js';
import type { PoolHolder, PoolSaved } from './pool-holder.js';
import type { ProcScan } from './proc-scan.js';
import type { ProcessState, Snapshot } from './process-machine.js';

// The data an app's handle keeps and shows, apart from the class that runs it (process-handle.ts).

/** An app as other code sees it: read-only. Only process-handle.ts changes an app, through its machine. */
export interface AppView {
  readonly id: number;
  readonly spec: AppSpec;
  readonly state: ProcessState;
  readonly snapshot: Readonly<Snapshot>;
  readonly createdAt: number;
  readonly restarts: number;
  readonly pid: number | null;
  readonly startTicks: string | null;
  readonly startedAt: number | null;
  readonly lastExit: ExitRecord | null;
  readonly adopted: boolean;
  readonly token: string | null;
  readonly limits: Readonly<LimitRestarts>;
  /** An operation asked for and not yet carried out (see PendingOp). */
  readonly pending: PendingOp | null;
  /** A fork-mode app's last reload (a socket handoff), kept in state.json; pooled apps have pool.lastReload. */
  readonly lastReload: ReloadReport | null;
  /** When the restart delay of an app in `waiting-restart` ends (epoch ms); null in any other state. */
  readonly nextRestartAt: number | null;
  /** Cluster / socket-activated apps: what the holder reports (null for a plain app). */
  readonly pool: Readonly<
    Pick<PoolHolder, 'instanceIds' | 'lastReload' | 'status' | 'running' | 'carriedRestarts' | 'heldRestarts' | 'restartsOf'>
  > | null;
  info(): ProcessInfo;
}

/** What a process handle needs from the daemon, passed in (no globals). `H` is the handle itself. */
export interface HandleDeps<H extends AppView> {
  now(): number;
  /** State changed: persist and tell subscribers. */
  changed(p: H): void;
  /** The app was deleted after its stop completed. */
  removed(p: H): void;
  log(event: string, data: Record<string, unknown>): void;
  /** Adopted processes are not our children: their death is seen by a /proc check. */
  watchAdopted(p: H, on: boolean): void;
  /** Where a PTY app's holder listens (TEND_HOME/pty/<id>.sock, or its own folder as another user: see ptyHome). */
  ptyHome(id: number, runAs: RunAs | undefined): { socket: string; cwd?: string };
  /** Puts FIFOs at the paths (see FifoPool). */
  makeFifos(paths: string[]): void;
  /** Calls `fn` with a /proc scan taken after this call, shared by every app asking (see ProcScanScheduler). */
  afterScan(fn: (scan: ProcScan) => void): void;
  /** Cluster / socket-activated apps: the daemon's side of their holder process. */
  makePool(p: H, saved: PoolSaved, changed: (s: HolderStatus) => void): PoolHolder;
  /** The app's log files now (PM2 apps see them as `pm_out_log_path`/`pm_err_log_path`). */
  logPaths(p: H): LogPaths;
  /** A fresh run token (see run-finder.ts). */
  newToken(p: H): string;
  /** Records what is about to happen before it happens (the intent journal); never throws. */
  intent(p: H, entry: IntentEntry): void;
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

/** Operations the user (or a watch) asked for, by what they leave the app doing. */
export type OpVerb = 'start' | 'restart' | 'reload' | 'apply' | 'scale' | 'watch';

/**
 * An operation asked for and not yet carried out for this app (its new run not spawned yet, its
 * holder not told yet): a daemon killed meanwhile leaves it here, and the next one finishes it.
 */
export interface PendingOp {
  verb: OpVerb;
  /** When it was asked for (ms since the epoch). */
  at: number;
}

/**
 * The journal record written before an operation acts, naming every app it is for and what it
 * leaves them doing: `run` (start, restart, reload, apply, scale, a watch restart), `stop`, or
 * `remove` (delete). `specs` carries the specs it gives (new apps, changed specs) by app id.
 */
export interface OperationEntry {
  op: 'operation';
  verb: OpVerb | 'stop' | 'delete';
  goal: 'run' | 'stop' | 'remove';
  ids: number[];
  at: number;
  specs?: Record<string, { spec: AppSpec; createdAt: number }>;
}

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
  /** Pooled apps: the id of each instance (-1 where a running holder has no such instance, see PoolHolder). */
  instanceIds?: number[];
  /** The last reload's outcome: a pooled app's (its holder's report), a fork-mode app's handoff. */
  lastReload?: ReloadReport | null;
  /** Pooled apps: what the holder last reported, shown after an adoption until it answers again. */
  holderStatus?: HolderStatus | null;
  /** Pooled apps: each instance's restarts counted by holders that are gone (see PoolHolder). */
  carriedRestarts?: Record<string, number>;
  /** Pooled apps: the running holder's last count of each instance's restarts. */
  heldRestarts?: Record<string, number>;
  /** Absent in state files written before limits existed. */
  limits?: LimitRestarts;
  /** An operation not finished for this app (absent: none). */
  pending?: PendingOp | null;
}
