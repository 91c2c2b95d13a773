/**
 * One schema for every app field: its PM2 name (the key in ecosystem files; the CLI flag is the
 * same name in kebab-case), type, default, aliases and description. Validation, defaults, the
 * README table and `tend help config` all come from this list.
 */

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
  | 'enum';

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
  /** Usable as a CLI flag of `tend start` (kebab-case of the key). */
  cli?: boolean;
}

const d = (def: FieldDef): FieldDef => def;

export const APP_FIELDS: readonly FieldDef[] = [
  d({ key: 'name', type: 'string', description: 'Unique app name; defaults to the script file name without extension.', cli: true }),
  d({ key: 'script', type: 'string', description: 'Script or command to run (a path, or a program found in PATH).' }),
  d({ key: 'args', type: 'string-list', default: [], description: 'Arguments passed to the script (a list, or a string split like a shell would).' }),
  d({ key: 'interpreter', type: 'string', description: 'Program that runs the script: `node` (the current Node.js), `python3`, `bash`, … or `none` to execute the script directly. Guessed from the extension when unset.', aliases: ['exec_interpreter'], cli: true }),
  d({ key: 'interpreter_args', type: 'string-list', default: [], description: 'Arguments for the interpreter (e.g. `--max-old-space-size=512`).', aliases: ['node_args'], cli: true }),
  d({ key: 'shell', type: 'boolean', default: false, description: 'Run the script and args through `/bin/sh -c`.', cli: true }),
  d({ key: 'cwd', type: 'string', description: 'Working directory (default: where `tend start` ran, or the config file\'s folder).', cli: true }),
  d({ key: 'env', type: 'env', default: {}, description: 'Environment variables added to the inherited environment.', cli: true }),
  d({ key: 'namespace', type: 'string', default: 'default', description: 'Group name; usable as a target.', cli: true }),
  d({ key: 'autorestart', type: 'boolean', default: true, description: 'Restart the app when it exits.', cli: true }),
  d({ key: 'stop_exit_codes', type: 'integer-list', default: [], description: 'Exit codes that mean "done, do not restart".', cli: true }),
  d({ key: 'restart_delay', type: 'duration', default: 0, unit: 'ms', description: 'Fixed delay before each restart.', cli: true }),
  d({ key: 'exp_backoff_restart_delay', type: 'duration', default: 0, unit: 'ms', description: 'Base of the exponential backoff for crash loops (doubles per consecutive crash, capped at 15 s, reset after a stable run). 0 = off.', cli: true }),
  d({ key: 'max_restarts', type: 'integer', default: 16, description: 'Consecutive unstable restarts (uptime < min_uptime) before the app is marked errored.', cli: true }),
  d({ key: 'min_uptime', type: 'duration', default: 1000, unit: 'ms', description: 'A run shorter than this counts as an unstable restart.', cli: true }),
  d({ key: 'kill_signal', type: 'signal', default: 'SIGTERM', description: 'Signal sent to the process group to stop the app.', cli: true }),
  d({ key: 'kill_timeout', type: 'duration', default: 5000, unit: 'ms', description: 'Grace period after kill_signal before SIGKILL.', cli: true }),
  d({ key: 'wait_ready', type: 'boolean', default: false, description: 'Stay `launching` until the app calls `process.send(\'ready\')` (or listen_timeout passes).', cli: true }),
  d({ key: 'listen_timeout', type: 'duration', default: 3000, unit: 'ms', description: 'How long wait_ready waits before the app is considered online anyway.', cli: true }),
  d({ key: 'out_file', type: 'string', description: 'stdout log file (default `TEND_HOME/logs/<name>-out.log`).', aliases: ['output'], cli: true }),
  d({ key: 'error_file', type: 'string', description: 'stderr log file (default `TEND_HOME/logs/<name>-err.log`).', aliases: ['err_file', 'error'], cli: true }),
  d({ key: 'log_file', type: 'string', description: 'An extra file receiving both streams.', aliases: ['log'], cli: true }),
  d({ key: 'merge_logs', type: 'boolean', default: false, description: 'Write stdout and stderr into one file (the out file).', aliases: ['combine_logs'], cli: true }),
  d({ key: 'disable_logs', type: 'boolean', default: false, description: 'Write no log files.', cli: true }),
  d({ key: 'time', type: 'boolean', default: false, description: 'Prefix each log line with its arrival time.', cli: true }),
  d({ key: 'log_date_format', type: 'string', description: 'Format of the time prefix, e.g. `YYYY-MM-DD HH:mm:ss.SSS Z` (default ISO 8601).', cli: true }),
  d({ key: 'log_type', type: 'enum', values: ['raw', 'json'], default: 'raw', description: '`json` writes one JSON record per line (time, app, instance, stream, message).', cli: true }),
  d({ key: 'log_max_size', type: 'size', default: 10 * 1024 * 1024, unit: 'bytes', description: 'Rotate a log file when it reaches this size.', cli: true }),
  d({ key: 'log_rotate_interval', type: 'enum', values: ['none', 'hourly', 'daily'], default: 'none', description: 'Also rotate every hour or day.', cli: true }),
  d({ key: 'log_retain', type: 'integer', default: 5, description: 'Rotated archives kept per log file.', cli: true }),
  d({ key: 'log_compress', type: 'boolean', default: false, description: 'gzip rotated archives.', cli: true }),
];

const BY_NAME = new Map<string, FieldDef>();
for (const f of APP_FIELDS) {
  BY_NAME.set(f.key, f);
  for (const a of f.aliases ?? []) BY_NAME.set(a, f);
}

/** The field for a key or one of its aliases. */
export function findField(key: string): FieldDef | undefined {
  return BY_NAME.get(key);
}

/** Every accepted key, aliases included (for "did you mean" suggestions). */
export function allFieldNames(): string[] {
  return [...BY_NAME.keys()];
}
