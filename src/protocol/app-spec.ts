/**
 * What the user asked for: the normalized, validated description of an app (`AppSpec`) and
 * its parts.
 * No Node imports here: this folder is type-checked with `"types": []` so a browser bundle can
 * import it.
 */

/** `min_ready`'s default: a reload's new process that dies within 2 s of being ready rolls the reload back. */
export const MIN_READY_DEFAULT_MS = 2000;

/**
 * The most processes one app may ask for (`instances`, `tend scale`): each is a process of its
 * own (~40 MB for Node), so `instances: 40000` (a typo for 4) would fork until the machine gives out.
 */
export const MAX_INSTANCES = 1024;

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
  /** Proxy mode: tend owns the public address and each instance binds a private port. Absent: off. */
  proxy?: ProxySpec;
  /** Stop a worker by sending it `'shutdown'` over IPC (then the signal after kill_timeout). */
  shutdownWithMessage: boolean;
  /**
   * Cluster mode: each client (by IP address) keeps reaching the same instance (`sticky`);
   * absent in specs saved before it existed (false then).
   */
  sticky?: boolean;
  /**
   * A reload's new process must stay up this long after it is ready before the old one is
   * retired (`min_ready`); absent in specs saved before it existed (MIN_READY_DEFAULT_MS then).
   */
  minReadyMs?: number;
  /** Run as this user and group (PM2's `uid`/`gid`; a root daemon only). Absent: tend's own. */
  runAs?: RunAs;
}

/**
 * Proxy mode, for apps that bind their own port: the holder listens on `listen` (the public
 * address, TCP) and forwards each connection to a ready instance, which got its private
 * loopback port in the variable `portEnv`.
 */
export interface ProxySpec {
  listen: string;
  portEnv: string;
}

/** A user the app runs as: its groups come from initgroups(user, gid). */
export interface RunAs {
  uid: number;
  gid: number;
  user: string;
}

/** How an app on a pseudo-terminal (`tend attach`) keeps its output. */
export interface PtySpec {
  /** Keep ANSI escapes (colours, cursor moves) in the log files; stripped by default. */
  logAnsi: boolean;
}
