/**
 * The data model shared by CLI, daemon and every future client. No Node imports here:
 * this folder is type-checked with `"types": []` so a browser bundle can import it.
 */

/** `min_ready`'s default: a reload's new process that dies within 2 s of being ready rolls the reload back. */
export const MIN_READY_DEFAULT_MS = 2000;

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

/** What the app's process is and how it is started. */
export interface ExecSpec {
  /** Absolute script path, a command name (resolved through PATH), or a shell command line. */
  script: string;
  args: string[];
  /**
   * `node` = the Node.js running the daemon (resolved at each spawn, so a Node upgrade does not
   * leave a stale path behind); any other string is an interpreter looked up in PATH; `null` runs
   * `script` directly.
   */
  interpreter: string | null;
  interpreterArgs: string[];
  /** Run `script` + args through `/bin/sh -c`. */
  shell: boolean;
}

/** How an app's output is written. Sizes in bytes, durations in milliseconds. */
export interface LogSpec {
  /** Absolute paths; `null` means the default under TEND_HOME/logs. */
  outFile: string | null;
  errFile: string | null;
  /** An extra file that receives both streams. */
  combinedFile: string | null;
  /**
   * PM2's `merge_logs`: when false, `-<id>` is put before `.log` in every file name, as PM2 does
   * for apps with `instances` or cluster mode. It never mixes stdout and stderr into one file.
   */
  merge: boolean;
  /** No files at all (live followers still see lines). */
  disabled: boolean;
  /** Prefix each line with its arrival time. */
  time: boolean;
  /** Format for the `time` prefix; `null` = ISO 8601. */
  dateFormat: string | null;
  type: 'raw' | 'json';
  maxSizeBytes: number;
  rotateInterval: 'none' | 'hourly' | 'daily';
  retain: number;
  compress: boolean;
}

/** Restart on file changes (`--watch`, PM2's `watch` keys). Paths are absolute. */
export interface WatchSpec {
  /** Files or directories watched (directories recursively). */
  paths: string[];
  /**
   * The user's ignore patterns: a bare name (`tmp`) matches any path segment, a glob without a
   * slash (`*.log`) any segment, one with a slash (`src/gen`, `lib/*.tmp`) the path relative to the app's
   * cwd (or an absolute path). node_modules, .git, TEND_HOME and the app's log files are always ignored.
   */
  ignore: string[];
  /** Quiet period: a burst of changes gives one restart, this long after its last change. */
  delayMs: number;
  /** Only files with these extensions (`js`, `json`) trigger a restart; empty = every file. */
  extensions: string[];
  /** Scan the tree every `intervalMs` instead of using inotify (network filesystems). */
  usePolling: boolean;
  intervalMs: number;
  followSymlinks: boolean;
}

/** What a health check probes. */
export type HealthProbe =
  | { type: 'http'; url: string }
  | { type: 'tcp'; host: string; port: number }
  /** A command run through `/bin/sh -c` in the app's cwd and environment; exit 0 = healthy. */
  | { type: 'exec'; command: string };

/** A health check (Docker's HEALTHCHECK semantics): PM2 has none. Durations in milliseconds. */
export interface HealthSpec {
  probe: HealthProbe;
  /** Time between two checks. */
  intervalMs: number;
  /** A check that takes longer fails. */
  timeoutMs: number;
  /** Consecutive failures before the app is unhealthy (and restarted). */
  retries: number;
  /** Failures during this time after a start do not count (a passing check still counts). */
  startPeriodMs: number;
}

/** Health as shown in `list`: `starting` until the first check passes or start_period ends. */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** How far a dependency must have come before its dependent starts. */
export type DependencyCondition =
  | 'started'
  | 'ready'
  | 'healthy'
  /** The dependency is a `task` that exited 0. */
  | 'completed';
export interface Dependency {
  app: string;
  condition: DependencyCondition;
}
/** Moments a hook can be attached to. */
export type HookEvent = 'crash' | 'errored' | 'restart' | 'online' | 'stop';
export type HookAction = { type: 'command'; command: string } | { type: 'http'; url: string };
export type Hooks = Partial<Record<HookEvent, HookAction>>;

/** The normalized, validated description of one app: what the user asked for. */
export interface AppSpec {
  name: string;
  namespace: string;
  exec: ExecSpec;
  cwd: string;
  /** The complete environment the app receives (already filtered of login-session variables). */
  env: Record<string, string>;
  autorestart: boolean;
  stopExitCodes: number[];
  restartDelayMs: number;
  /** Base delay of the exponential backoff; 0 disables it. */
  expBackoffRestartDelayMs: number;
  maxRestarts: number;
  minUptimeMs: number;
  killSignal: string;
  killTimeoutMs: number;
  waitReady: boolean;
  listenTimeoutMs: number;
  log: LogSpec;
  /** Restart (gracefully) when the RSS of the app's whole process tree exceeds this; null = no limit. */
  maxMemoryRestartBytes: number | null;
  /** A cron pattern (PM2's `cron_restart`, 5 or 6 fields) for periodic restarts; null = none. */
  cronRestart: string | null;
  health: HealthSpec | null;
  /** Apps (of the same file) this one waits for; absent = none. */
  dependsOn?: Dependency[];
  /** Commands or URLs told about this app's events; absent = none. */
  hooks?: Hooks;
  /** `task`: runs once to completion (exit 0 = completed, anything else = errored, never restarted); absent = a long-running app. */
  task?: boolean;
  /** A scheduled job (`schedule` cron pattern, or `schedule_interval`): each run is a `task`; absent = not scheduled. */
  schedule?: string;
  scheduleIntervalMs?: number;
  /** A scheduled job's time while it still runs: skip it, queue one run, or allow another run alongside. */
  overlap?: 'skip' | 'queue' | 'allow';
  /** A run alongside of a scheduled job (overlap: allow): the job's app id. Removed when its run ends; never saved nor exported. */
  runOf?: number;
  /** Run a scheduled job when it is started or applied. */
  runAtStart?: boolean;
  /** `max_age`: recycle each run after this long (ms), plus up to maxAgeJitterMs at random; absent = never. */
  maxAgeMs?: number;
  maxAgeJitterMs?: number;
  /** `ready_log_line`: a regular expression on the app's output lines that makes it ready (waitReady is true with it); absent = none. */
  readyLogLine?: string;
  /** Container image for `tend export kubernetes|compose`; tend itself does not use it. */
  image?: string;
  /**
   * Started the PM2 way (a PM2 ecosystem file, or `tend start <script>`): the app also gets PM2's
   * per-app variables (`pm_id`, `name`, `pm_exec_path`, …). Absent in specs saved before it existed.
   */
  pm2?: boolean;
  /** Names of the variables the user set (env_file, env, env_<name>, port); the rest is inherited. */
  userEnv?: string[];
  /** The config file (absolute) it was last applied from; `tend apply <file> --prune` deletes the apps of that file it no longer has. */
  configFile?: string;
  /** Absent: no watching. */
  watch?: WatchSpec;
  /** Run on a pseudo-terminal held by a holder process (`tend attach`). Absent: pipes. */
  pty?: PtySpec;
  /**
   * How many processes run the app. 1 for a plain app; 0 = one per CPU (`max`), -n = CPUs minus n
   * (PM2's meanings), resolved when the app starts. More than one needs `execMode: 'cluster'`
   * (Node) or `listen` (any language).
   */
  instances: number;
  /** `cluster`: a per-app holder process runs the workers through node:cluster (DESIGN.md §8). */
  execMode: 'fork' | 'cluster';
  /** Variable holding the instance number (PM2: NODE_APP_INSTANCE). */
  instanceVar: string;
  /** A numeric variable incremented per instance (instance k gets base + k), e.g. `PORT`. */
  incrementVar: string | null;
  /**
   * Sockets tend opens once and passes to every process of the app as fds 3, 4, … with systemd's
   * LISTEN_FDS protocol: `8080`, `127.0.0.1:9000`, `[::1]:9000`, `unix:/run/app.sock`.
   */
  listen: string[];
  /** Stop a worker by sending it `'shutdown'` over IPC (then the signal after kill_timeout). */
  shutdownWithMessage: boolean;
  /**
   * A reload's new process must stay up this long after it is ready before the old one is
   * retired (`min_ready`); absent in specs saved before it existed (MIN_READY_DEFAULT_MS then).
   */
  minReadyMs?: number;
  /** Run as this user and group (PM2's `uid`/`gid`; a root daemon only). Absent: tend's own. */
  runAs?: RunAs;
}

/** A user the app runs as: its groups come from initgroups(user, gid). */
export interface RunAs {
  uid: number;
  gid: number;
  user: string;
}

/** One process of a cluster or socket-activated app, as its holder reports it. */
export interface InstanceInfo {
  /** 0-based instance number (NODE_APP_INSTANCE). */
  instance: number;
  pid: number | null;
  status: ProcessStatus;
  restarts: number;
  startedAt: number | null;
}

/** The outcome of the last `tend reload` of a held app (shown by `describe`). */
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

export interface PtySpec {
  /** Keep ANSI escapes (colours, cursor moves) in the log files; stripped by default. */
  logAnsi: boolean;
}

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

/** A listening socket of an app's process tree (TCP in LISTEN, or a bound UDP socket with no peer). */
export interface ListenPort {
  proto: 'tcp' | 'udp';
  /** `0.0.0.0` / `::` for every address. */
  address: string;
  port: number;
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
   * held app: its own worker's tree); null when not running or not sampled yet.
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
}

export interface HolderFigures {
  pid: number | null;
  cpuPercent: number | null;
  memoryBytes: number | null;
  app: { cpuPercent: number | null; memoryBytes: number | null };
}

/** One process of an app's tree (`describe`). */
export interface TreeProcess {
  pid: number;
  ppid: number;
  /** The command line (arguments joined by spaces), or the short name from /proc when unreadable. */
  command: string;
  cpuPercent: number | null;
  memoryBytes: number;
}

/** One point of an app's history. */
export interface MetricPoint {
  /** Epoch milliseconds. */
  t: number;
  cpuPercent: number;
  memoryBytes: number;
}

/** What the sampler knows about one app. */
export interface AppMetrics {
  id: number;
  name: string;
  /** The main pid's own figures (PM2 reports only these). */
  main: { cpuPercent: number; memoryBytes: number } | null;
  /** Summed over the whole tree. */
  cpuPercent: number | null;
  memoryBytes: number | null;
  /** Total CPU time of the live tree, in seconds (for Prometheus counters). */
  cpuSeconds: number;
  processes: number;
  /** Oldest first; about the last 10 minutes. */
  history: MetricPoint[];
  /** Listening ports of the tree at the last scan (in `metrics` events; absent when not scanned yet). */
  ports?: ListenPort[];
}

/** One log file to read back, and what to label its lines with (`logs.sources`). */
export interface LogSource {
  file: string;
  app: string;
  id: number;
  /** The stream of a raw file's lines (a merged raw file cannot tell them apart: say `out`). */
  stream: LogStream;
  type: 'raw' | 'json';
}

export interface LogPaths {
  out: string | null;
  err: string | null;
  combined: string | null;
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
  /** The last reload of a held app (a failed one says which instance and why). */
  lastReload?: ReloadReport | null;
  /**
   * On the record of instance 0 of a held app: its holder process (the cluster primary) with its
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

export type LogStream = 'out' | 'err';

export interface LogRecord {
  time: number;
  app: string;
  id: number;
  stream: LogStream;
  message: string;
}

export interface DaemonInfo {
  pid: number;
  version: string;
  protocol: number;
  home: string;
  startedAt: number;
  node: string;
  apps: number;
  /** The systemd unit running the daemon (`tend startup`), or null when tend launched it. */
  systemd: { name: string; scope: 'system' | 'user' } | null;
  /** What is wrong right now (disk full, state recovered from a backup), for `ping` and `list`; empty when healthy. */
  problems: string[];
  /** The daemon's own memory (process.memoryUsage()). */
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number };
}
