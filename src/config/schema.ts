/**
 * One schema for every app field: its PM2 name (the key in ecosystem files; the CLI flag is the
 * same name in kebab-case), type, default, aliases and description. Validation, defaults, the
 * README table and `tend help config` all come from this list.
 *
 * Every key of PM2's own schema (`lib/API/schema.json`) is listed, so a PM2 ecosystem file never
 * meets "unknown key": each PM2 key is supported, mapped onto a tend setting, not supported yet
 * (accepted, warned about) or ignored on purpose (accepted, warned about, with the reason).
 */

import { MAX_INSTANCES, MIN_READY_DEFAULT_MS } from '../protocol/app-spec.js';

export type FieldType =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'duration'
  | 'size'
  | 'signal'
  | 'string-list'
  | 'integer-list'
  | 'env'
  | 'enum'
  /** PM2's `instances`: a count, `max` (one per CPU) or a negative number (CPUs minus n). */
  | 'instances'
  /** PM2's `watch`: `true`/`false` or the paths to watch. */
  | 'watch'
  /** A cron pattern (5 or 6 fields), checked with the cron library the daemon schedules with. */
  | 'cron'
  /** `{ http | tcp | exec, interval, timeout, retries, start_period }`, or the CLI's one-string form. */
  | 'health'
  /** `depends_on`: app names, or `{ app: started | ready | healthy }`. */
  | 'depends'
  /** `hooks`: `{ crash | errored | restart | online | stop: command | { url } }`. */
  | 'hooks'
  /** Not validated: PM2-internal keys tend ignores whatever their value. */
  | 'any';

/** Where a key comes from and what tend does with it (the "status" column of the docs). */
export type FieldStatus = 'supported' | 'tend' | 'not-yet' | 'ignored';

export interface FieldDef {
  /** PM2 / ecosystem key (snake_case). */
  key: string;
  type: FieldType;
  description: string;
  default?: unknown;
  /** Other accepted names (PM2 aliases). */
  aliases?: string[];
  /** Allowed values for `enum`. */
  values?: string[];
  /** Unit shown in docs for durations and sizes. */
  unit?: string;
  /** When set, the key is accepted but not acted on yet (a warning says why). */
  unsupported?: string;
  /** When set, the key is accepted and ignored on purpose (a warning says why). */
  ignored?: string;
  /**
   * Values of an unsupported or ignored key that ask for what tend does anyway (`exec_mode:
   * 'fork'`, `vizion: false`): accepted without a warning, so PM2 files are not noisy.
   */
  quietValues?: readonly unknown[];
  /** A tend key PM2 does not have. */
  tendOnly?: boolean;
  /** PM2's keys that pick the app's user or group: refused unless they name tend's own (see run-as.ts). */
  runAs?: 'user' | 'group';
  /** Usable as a CLI flag of `tend start` (kebab-case of the key). */
  cli?: boolean;
}

/** Key pattern of the per-environment blocks picked with `--env <name>`. */
export const ENV_BLOCK = /^env_(.+)$/;

const d = (def: FieldDef): FieldDef => def;
const notYet = (what: string): string => `${what} ${what.endsWith('s') ? 'are' : 'is'} not built yet`;
const pm2Only = (what: string): string => `${what} (PM2-specific; nothing to do in tend)`;

export const APP_FIELDS: readonly FieldDef[] = [
  // What runs
  d({ key: 'name', type: 'string', description: 'Unique app name; defaults to the script file name without extension.', cli: true }),
  d({ key: 'script', type: 'string', description: 'Script or command to run (a path, a folder run by Node, or a program found in PATH). Required. In PM2 files a script with spaces (`npm run start`) runs through a shell, as in PM2.', aliases: ['exec', 'cmd', 'command'] }),
  d({ key: 'args', type: 'string-list', default: [], description: 'Arguments passed to the script (a list, or a string split like a shell would).' }),
  d({ key: 'interpreter', type: 'string', description: 'Program that runs the script: `node` (the current Node.js), `python3`, `bash`, … or `none` to execute the script directly. Guessed from the extension when unset.', aliases: ['exec_interpreter'], cli: true }),
  d({ key: 'interpreter_args', type: 'string-list', default: [], description: 'Arguments for the interpreter (e.g. `--max-old-space-size=512`).', aliases: ['node_args', 'interpreterArgs'], cli: true }),
  d({ key: 'shell', type: 'boolean', default: false, description: 'Run the script and args through `/bin/sh -c`.', tendOnly: true, cli: true }),
  d({ key: 'cwd', type: 'string', description: 'Working directory. Relative paths are resolved from the config file\'s folder (or where `tend start` ran).', cli: true }),
  d({ key: 'namespace', type: 'string', default: 'default', description: 'Group name; usable as a target.', cli: true }),
  // Environment
  d({ key: 'env', type: 'env', default: {}, description: 'Environment variables added to the inherited environment.', cli: true }),
  d({ key: 'env_<name>', type: 'env', description: 'Variables layered over `env` when `--env <name>` is given (e.g. `env_production`).' }),
  d({ key: 'env_file', type: 'string', description: 'A `.env` file (KEY=VALUE lines) loaded into the environment; relative to `cwd`. `env` overrides it.', tendOnly: true, cli: true }),
  d({ key: 'port', type: 'integer', description: 'Shortcut for `env.PORT` (it wins over `env` and `env_file`).', cli: true }),
  d({ key: 'filter_env', type: 'any', description: 'PM2: drop inherited variables (all, or those with given prefixes).', ignored: 'tend passes the environment of the shell that ran `tend start` minus login-session variables (SSH_*, TERM, …); put what the app needs in `env` or `env_file`', quietValues: [false] }),
  // Restart policy
  d({ key: 'schedule', type: 'cron', description: 'Run the app as a scheduled job on this cron pattern (`*/15 * * * *`; 6 fields = with seconds): each run goes to completion as a `task` (never restarted), and the app is not run when it is started unless run_at_start is set. Not cron_restart (which restarts a long-running app). Runs missed while the daemon or the machine was down are not caught up (they are counted in `describe`): the next run is the next time on the schedule.', tendOnly: true, cli: true }),
  d({ key: 'schedule_interval', type: 'duration', unit: 'ms', description: 'Run the app as a scheduled job every this long (`10m`), counted from when the app is started or applied; a daemon restart keeps that rhythm. Otherwise as `schedule`.', tendOnly: true, cli: true }),
  d({ key: 'overlap', type: 'enum', values: ['skip', 'queue', 'allow'], default: 'skip', description: 'A scheduled job whose time comes while its previous run still runs: `skip` that run, `queue` one run to start when the previous ends (several due times queue only one), or `allow` another run alongside (at most 4 at once; past that a due time is skipped). A run alongside is an app of its own, `<job>~2`, `<job>~3`, …, with its own pid and log, removed when it ends.', tendOnly: true, cli: true }),
  d({ key: 'run_at_start', type: 'boolean', default: false, description: 'Run a scheduled job at once when it is started or applied (by default it waits for its first scheduled time).', tendOnly: true, cli: true }),
  d({ key: 'task', type: 'boolean', default: false, description: 'A one-shot task (a migration): it runs once to completion and is never restarted. Exit 0 = completed (status `stopped`, reason `completed`), which `depends_on: { app: completed }` waits for; any other exit = errored, and the apps waiting for its completion are stopped with the reason. `tend run` exits 1 when a task fails.', tendOnly: true, cli: true }),
  d({ key: 'autorestart', type: 'boolean', default: true, description: 'Restart the app when it exits.', cli: true }),
  d({ key: 'stop_exit_codes', type: 'integer-list', default: [], description: 'Exit codes that mean "done, do not restart".', cli: true }),
  d({ key: 'restart_delay', type: 'duration', default: 0, unit: 'ms', description: 'Fixed delay before each restart. Whatever the restart settings, an app that keeps exiting within 1 s of its start is restarted at once twice, then waits at least 100 ms, doubling up to 1 s between restarts (a run of 1 s or more resets it).', cli: true }),
  d({ key: 'exp_backoff_restart_delay', type: 'duration', default: 0, unit: 'ms', description: 'Base of the exponential backoff for crash loops (doubles per consecutive crash, capped at 15 s, reset after a stable run). 0 = off.', cli: true }),
  d({ key: 'max_restarts', type: 'integer', default: 16, description: 'Unstable restarts in a row (runs shorter than min_uptime) before the app is marked errored; as in PM2, `max_restarts: N` means at most N runs of a crash loop.', cli: true }),
  d({ key: 'min_uptime', type: 'duration', default: 1000, unit: 'ms', description: 'A run shorter than this counts as an unstable restart.', cli: true }),
  // Stop and readiness
  d({ key: 'kill_signal', type: 'signal', description: 'Signal sent to the process group to stop the app. Default: SIGINT (PM2\'s) for apps from PM2 ecosystem files and `tend start <script>`; SIGTERM for `tend.config.*` files, Procfiles and `tend start -- <command>`.', tendOnly: true, cli: true }),
  d({ key: 'kill_timeout', type: 'duration', default: 5000, unit: 'ms', description: 'Grace period after kill_signal before SIGKILL.', cli: true }),
  d({ key: 'wait_ready', type: 'boolean', default: false, description: 'Stay `launching` until the app calls `process.send(\'ready\')` (or listen_timeout passes).', cli: true }),
  d({ key: 'ready_log_line', type: 'string', description: 'A regular expression: the app is ready (online) when a line of its stdout or stderr matches it (`listening on port \\d+`), as with `process.send(\'ready\')`; implies wait_ready, so starts, restarts, reloads and `depends_on: { app: ready }` wait for it (or listen_timeout). Not for cluster, `listen` or `proxy` apps (use wait_ready or a health check).', tendOnly: true, cli: true }),
  d({ key: 'listen_timeout', type: 'duration', default: 3000, unit: 'ms', description: 'How long a new process may take to be ready (wait_ready, or listening in cluster mode): a start then counts it online anyway, a reload rolls back.', cli: true }),
  d({ key: 'min_ready', type: 'duration', default: MIN_READY_DEFAULT_MS, unit: 'ms', description: 'Reload of a cluster, `listen` or `proxy` app: how long a new process must stay up after it is ready before the old one is retired (Kubernetes\' minReadySeconds). If it exits within that time, the reload rolls back: the old processes keep serving and `tend reload` exits 1.', tendOnly: true, cli: true }),
  // Cluster and socket activation
  d({ key: 'instances', type: 'instances', default: 1, description: `Number of processes: a count, \`max\` or \`0\` (one per CPU), \`-1\` (CPUs minus one); at most ${MAX_INSTANCES}. More than one runs the app in cluster mode (Node) or needs \`listen\` or \`proxy\` (any language).`, cli: true }),
  d({ key: 'exec_mode', type: 'enum', values: ['fork', 'cluster', 'fork_mode', 'cluster_mode'], default: 'fork', description: '`cluster`: a small per-app primary process runs the workers through node:cluster, sharing their ports, and `tend reload` replaces them one at a time.', cli: true }),
  d({ key: 'instance_var', type: 'string', default: 'NODE_APP_INSTANCE', description: 'Name of the variable holding the instance number (0, 1, …).', cli: true }),
  d({ key: 'increment_var', type: 'string', description: 'A numeric variable incremented per instance (e.g. `PORT`: instance 1 gets PORT + 1).', cli: true }),
  d({ key: 'listen', type: 'string-list', default: [], description: 'Sockets tend opens once and passes to the app as fds 3, 4, … (systemd `LISTEN_FDS`), for zero-downtime reloads in any language: `8080`, `127.0.0.1:9000`, `[::1]:9000`, `unix:/run/app.sock`.', tendOnly: true, cli: true }),
  d({ key: 'proxy', type: 'string', description: 'Proxy mode, for apps that bind their own port (any language, no code change): tend owns this public address (`8080`, `127.0.0.1:8080`, `[::1]:8080`) and forwards each connection to an instance that passed its readiness check; each instance binds a private loopback port it reads from `proxy_port_env`. `tend reload` starts the new instance, moves traffic to it once ready, and drains the old one (up to kill_timeout); works with `instances`.', tendOnly: true, cli: true }),
  d({ key: 'proxy_port_env', type: 'string', default: 'PORT', description: 'Proxy mode: the variable each instance reads its private port from.', tendOnly: true, cli: true }),
  d({ key: 'shutdown_with_message', type: 'boolean', default: false, description: 'Stop a worker by sending it `\'shutdown\'` over IPC first (the kill signal follows after kill_timeout).', cli: true }),
  d({ key: 'sticky', type: 'boolean', default: false, description: 'Cluster mode: each client keeps reaching the same instance, chosen by its IP address (sessions kept in a worker\'s memory, socket.io\'s polling transport). Behind a reverse proxy every client has the proxy\'s address: see docs/cluster-and-reloads.md.', tendOnly: true, cli: true }),
  // Logs
  d({ key: 'out_file', type: 'string', description: 'stdout log file (default `TEND_HOME/logs/<name>-out.log`, with `_` and spaces in the name turned into `-` as PM2 does). `~/` is your home; `/dev/null` or `NULL` = no file.', aliases: ['output', 'out', 'out_log'], cli: true }),
  d({ key: 'error_file', type: 'string', description: 'stderr log file (default `TEND_HOME/logs/<name>-error.log`). `~/` is your home; `/dev/null` or `NULL` = no file.', aliases: ['err_file', 'error', 'err', 'err_log'], cli: true }),
  d({ key: 'log_file', type: 'string', description: 'An extra file receiving both streams (`false` = none).', aliases: ['log'], cli: true }),
  d({ key: 'merge_logs', type: 'boolean', description: 'As in PM2: `false` puts `-<id>` before `.log` in the file names (`api-out-0.log`); the default is `false` for apps that set `instances` or cluster mode and `true` otherwise. stdout and stderr always keep their own files (use `log_file` for one file with both).', aliases: ['combine_logs'], cli: true }),
  d({ key: 'disable_logs', type: 'boolean', default: false, description: 'Write no log files.', cli: true }),
  d({ key: 'time', type: 'boolean', default: false, description: 'Prefix each log line with its arrival time (also turned on by `log_date_format`).', cli: true }),
  d({ key: 'log_date_format', type: 'string', description: 'Format of the time prefix, e.g. `YYYY-MM-DD HH:mm:ss.SSS Z` (default ISO 8601). Setting it turns `time` on, as in PM2.', cli: true }),
  d({ key: 'log_type', type: 'enum', values: ['raw', 'json'], default: 'raw', description: '`json` writes one JSON record per line (time, app, instance, stream, message).', cli: true }),
  d({ key: 'log_max_size', type: 'size', default: 10 * 1024 * 1024, unit: 'bytes', description: 'Rotate a log file when it reaches this size.', tendOnly: true, cli: true }),
  d({ key: 'log_rotate_interval', type: 'enum', values: ['none', 'hourly', 'daily'], default: 'none', description: 'Also rotate every hour or day.', tendOnly: true, cli: true }),
  d({ key: 'log_retain', type: 'integer', default: 5, description: 'Rotated archives kept per log file.', tendOnly: true, cli: true }),
  d({ key: 'log_compress', type: 'boolean', default: false, description: 'gzip rotated archives.', tendOnly: true, cli: true }),
  // Watch mode
  d({ key: 'watch', type: 'watch', default: false, description: 'Restart when files change: `true` = the cwd, or a list of paths. CLI: `--watch` (the cwd), `--watch DIR`, `--watch=PATH` (repeatable).', cli: true }),
  d({ key: 'ignore_watch', type: 'string-list', default: [], description: 'Names (`tmp`), globs (`*.log`) or paths (`src/gen`) the watcher ignores; node_modules, .git, TEND_HOME and the app\'s log files always are.', cli: true }),
  d({ key: 'watch_delay', type: 'duration', default: 300, unit: 'ms', description: 'Quiet period: a burst of changes gives one restart, this long after its last change.', cli: true }),
  d({ key: 'watch_ext', type: 'string-list', default: [], description: 'Only changes to files with these extensions restart (`js,json`); default: any file.', tendOnly: true, cli: true }),
  d({ key: 'watch_options', type: 'any', description: 'Watcher options: `usePolling` (scan instead of inotify), `interval` (polling period, ms), `followSymlinks`. Other chokidar options are ignored with a warning.' }),
  // Terminal
  d({ key: 'pty', type: 'boolean', default: false, description: 'Run the app on a pseudo-terminal you can `tend attach` to (REPLs, consoles).', tendOnly: true, cli: true }),
  d({ key: 'pty_log_ansi', type: 'boolean', default: false, description: 'Keep ANSI escapes (colours, cursor moves) of a `pty` app in its log files.', tendOnly: true, cli: true }),
  // Watching over it
  d({ key: 'max_memory_restart', type: 'size', unit: 'bytes', description: 'Restart the app (gracefully) when the memory (RSS) of its whole process tree exceeds this size (`200M`); checked at every sample. For cluster, `listen` and `proxy` apps the limit is each instance\'s (its worker\'s tree, as PM2 checks each process): only that worker is replaced, the others keep serving.', cli: true }),
  d({ key: 'max_age', type: 'duration', unit: 'ms', description: 'Recycle the app when its process is this old (`12h`), for apps that leak: a zero-downtime rolling reload (one instance at a time) for cluster, `listen` and `proxy` apps, a graceful restart otherwise; counted as an automatic restart (`age`).', tendOnly: true, cli: true }),
  d({ key: 'max_age_jitter', type: 'duration', unit: 'ms', description: 'A random extra delay, up to this long, added to max_age for each run (default a tenth of max_age), so apps started together are not recycled together.', tendOnly: true, cli: true }),
  d({ key: 'cron_restart', type: 'cron', description: 'Cron pattern for periodic restarts (`0 3 * * *`; 6 fields = with seconds).', aliases: ['cron'], cli: true }),
  d({ key: 'health', type: 'health', description: 'Health check: `{ http: URL | tcp: PORT | exec: CMD, interval: 10s, timeout: 5s, retries: 3, start_period: 0 }`; on the command line `--health http://…`, `--health tcp:3000` or `--health \'exec:CMD\'`. An app unhealthy `retries` times in a row is restarted; with wait_ready, the first passing check makes it online.', tendOnly: true, cli: true }),
  // Start order, hooks, containers
  d({ key: 'depends_on', type: 'depends', description: 'Apps of the same file this app waits for: `[\'db\']` (started) or `{ db: \'ready\' }` (`started`, `ready` = online, `healthy` = health check passing, `completed` = a `task` that exited 0; a failed task stops its dependants). Stop and delete of the file go in reverse order.', tendOnly: true }),
  d({ key: 'hooks', type: 'hooks', description: 'On `crash`, `errored`, `restart`, `online` or `stop`: run a command (the event as JSON on stdin, TEND_EVENT and TEND_APP_NAME set) or POST the event to `{ url }`. At most 10 s each; failures are logged.', tendOnly: true }),
  d({ key: 'image', type: 'string', description: 'Container image holding the app, for `tend export kubernetes|compose` (tend itself runs the app on this machine).', tendOnly: true }),
  // Accepted, not built yet
  d({ key: 'autostart', type: 'boolean', default: true, description: 'Register the app without starting it when `false`.', unsupported: notYet('registering without starting'), quietValues: [true] }),
  d({ key: 'uid', type: 'string', description: 'User (name or id) to run the app as, with its groups. Needs tend running as root.', aliases: ['user'], runAs: 'user' }),
  d({ key: 'gid', type: 'string', description: 'Group (name or id) to run the app as (default: the user\'s own). Needs tend running as root.', runAs: 'group' }),
  d({ key: 'pid_file', type: 'string', description: 'File the app\'s pid is written to.', aliases: ['pid'], unsupported: notYet('per-app pid files') + '; `tend describe <app> --json` shows the pid' }),
  // PM2 internals, ignored on purpose
  d({ key: 'treekill', type: 'any', description: 'PM2: `false` signals only the main process.', ignored: 'tend always signals the app\'s whole process group, so no child is orphaned', quietValues: [true] }),
  d({ key: 'kill_retry_time', type: 'any', description: 'PM2: how often it checks whether a stopped app is gone.', ignored: 'tend waits for the exit event instead of polling; `kill_timeout` bounds the wait' }),
  d({ key: 'force', type: 'any', description: 'PM2: start a second copy of an already running script.', ignored: 'tend starts each name once; starting a running app from a file updates it and restarts it if its spec changed', quietValues: [false] }),
  d({ key: 'append_env_to_name', type: 'any', description: 'PM2: add the `--env` name to the app name.', ignored: 'app names do not change with `--env`', aliases: ['appendEnvToName'], quietValues: [false] }),
  d({ key: 'name_prefix', type: 'any', description: 'PM2 internal.', ignored: pm2Only('a PM2 internal') }),
  d({ key: 'vizion', type: 'any', description: 'PM2: collect git metadata of the app.', ignored: pm2Only('git metadata for PM2\'s dashboard'), quietValues: [false] }),
  d({ key: 'pmx', type: 'any', description: 'PM2: inject its monitoring agent.', ignored: pm2Only('PM2\'s monitoring agent'), quietValues: [false] }),
  d({ key: 'automation', type: 'any', description: 'PM2: inject its monitoring agent.', ignored: pm2Only('PM2\'s monitoring agent'), quietValues: [false] }),
  d({ key: 'io', type: 'any', description: 'PM2.io settings.', ignored: pm2Only('PM2.io (Keymetrics) monitoring') }),
  d({ key: 'trace', type: 'any', description: 'PM2.io transaction tracing.', ignored: pm2Only('PM2.io transaction tracing'), quietValues: [false] }),
  d({ key: 'disable_trace', type: 'any', description: 'PM2.io transaction tracing.', ignored: pm2Only('PM2.io transaction tracing'), quietValues: [true] }),
  d({ key: 'v8', type: 'any', description: 'PM2.io V8 metrics.', ignored: pm2Only('PM2.io V8 metrics'), quietValues: [false] }),
  d({ key: 'event_loop_inspector', type: 'any', description: 'PM2.io event-loop metrics.', ignored: pm2Only('PM2.io event-loop metrics'), quietValues: [false] }),
  d({ key: 'deep_monitoring', type: 'any', description: 'PM2.io deep monitoring.', ignored: pm2Only('PM2.io deep monitoring'), quietValues: [false] }),
  d({ key: 'post_update', type: 'any', description: 'PM2: commands run after `pm2 pull`.', ignored: pm2Only('commands run by `pm2 pull`/Keymetrics updates') }),
  d({ key: 'install_url', type: 'any', description: 'PM2 module installation.', ignored: pm2Only('PM2 module installation') }),
  d({ key: 'source_map_support', type: 'any', description: 'PM2: inject source-map-support into the app.', ignored: 'tend does not inject code into the app; use `node_args: --enable-source-maps`', quietValues: [false] }),
  d({ key: 'disable_source_map_support', type: 'any', description: 'PM2: do not inject source-map-support.', ignored: 'tend does not inject code into the app; use `node_args: --enable-source-maps`', quietValues: [true] }),
  d({ key: 'execute_command', type: 'any', description: 'PM2 internal.', ignored: pm2Only('a PM2 internal') }),
  d({ key: 'write', type: 'any', description: 'PM2 internal.', ignored: pm2Only('a PM2 internal') }),
  d({ key: 'username', type: 'any', description: 'PM2: the user who started the app (informational).', ignored: 'informational in PM2; tend records who started the app itself' }),
  d({ key: 'windowsHide', type: 'any', description: 'PM2: hide the console window on Windows.', ignored: 'tend does not run on Windows', quietValues: [true] }),
];

const BY_NAME = new Map<string, FieldDef>();
for (const f of APP_FIELDS) {
  BY_NAME.set(f.key, f);
  for (const a of f.aliases ?? []) BY_NAME.set(a, f);
}
const ENV_BLOCK_FIELD = BY_NAME.get('env_<name>') as FieldDef;

/** The field for a key or one of its aliases (`env_production` → the `env_<name>` field). */
export function findField(key: string): FieldDef | undefined {
  return BY_NAME.get(key) ?? (ENV_BLOCK.test(key) ? ENV_BLOCK_FIELD : undefined);
}

/** Every accepted key, aliases included (for "did you mean" suggestions). */
export function allFieldNames(): string[] {
  return [...BY_NAME.keys()].filter((k) => k !== 'env_<name>');
}

/** What the docs say about a field: supported, tend-only, not yet, ignored. */
export function fieldStatus(field: FieldDef): FieldStatus {
  if (field.ignored !== undefined) return 'ignored';
  if (field.unsupported !== undefined) return 'not-yet';
  return field.tendOnly === true ? 'tend' : 'supported';
}

/** The default value of a key (undefined when it has none). */
export function fieldDefault(key: string): unknown {
  return BY_NAME.get(key)?.default;
}
