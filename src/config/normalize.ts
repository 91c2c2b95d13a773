import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { TendError, isTendError } from '../errors.js';
import { findExecutable } from '../lib/which.js';
import { suggest } from '../lib/suggest.js';
import { parseListenAddress } from '../lib/listen-address.js';
import { proxyField } from './proxy-spec.js';
import type { AppSpec, Dependency, HealthSpec, Hooks, LogSpec } from '../protocol/app-spec.js';
import { coerceField } from './coerce.js';
import { checkExecSize } from './exec-size.js';
import { applyRunKind } from './run-kind.js';
import { loadDotenv } from './dotenv.js';
import { buildWatchSpec } from './watch-spec.js';
import {
  camelToSnake,
  expandHome,
  guessInterpreter,
  isNullFile,
  nodeScriptInPath,
  pm2MergeDefault,
  pm2SplitArgs,
  resolveNodeVersion,
} from './pm2-compat.js';
import { ENV_BLOCK, allFieldNames, fieldDefault, findField, type FieldDef } from './schema.js';
import { resolveRunAs } from './run-as.js';

export { coerceField } from './coerce.js';

/** What `out_file: 'NULL'` or `'/dev/null'` becomes: no file at all (see daemon/log-router.ts). */
const NULL_FILE = '/dev/null';

export interface NormalizeContext {
  /** Base for relative paths (the CLI's cwd, or the config file's folder). */
  baseDir: string;
  /**
   * PM2 files only: where `tend` runs. PM2 resolves a relative `script` and `cwd` from there;
   * tend does too when the script is found there, else it uses `baseDir` (the file's folder).
   */
  shellCwd?: string | undefined;
  /** Inherited environment (already stripped of login-session variables). */
  env: Record<string, string>;
  /** Where the value came from, for messages: `command line`, `ecosystem.config.js, app "api"`. */
  source: string;
  /** `--env <name>`: the `env_<name>` block layered over `env`. */
  envName?: string | undefined;
  /** `deploy.<name>.env` of the file, the lowest layer of `--env <name>` (as in PM2). */
  deployEnv?: Record<string, string> | undefined;
  /** The config file the app comes from; a missing `script` is then a config error. */
  file?: string | undefined;
  /**
   * Read the PM2 way (a PM2 ecosystem file, or `tend start <script>`): PM2's stop signal
   * (SIGINT), interpreter guess, unknown keys as warnings, a script with spaces run by a shell,
   * PM2's per-app variables. Otherwise tend's own rules (tend.config.*, Procfiles, `-- command`).
   */
  pm2?: boolean | undefined;
}

export interface NormalizeResult {
  spec: AppSpec;
  warnings: string[];
}

/** No `script`: a config file's app, or the command line's. */
function missingScript(ctx: NormalizeContext): TendError {
  if (ctx.file !== undefined) {
    return new TendError('E_CONFIG_INVALID', `${ctx.source}: missing \`script\``, {
      hint: 'Every app needs a `script`: a file to run (`server.js`) or a command (`npm`, with `args: "start"`).',
      details: { file: ctx.file, source: ctx.source, field: 'script' },
    });
  }
  return new TendError('E_USAGE', `${ctx.source}: no script given`, {
    hint: 'Give a script (`tend start server.js`) or a command after `--`.',
  });
}

/** Validates keys, coerces values once and fills defaults: the only way an AppSpec is made. */
export function normalizeApp(raw: Record<string, unknown>, ctx: NormalizeContext): NormalizeResult {
  const pm2 = ctx.pm2 === true;
  const values = new Map<string, unknown>();
  const envBlocks = new Map<string, Record<string, string>>();
  const warnings: string[] = [];
  /** Keys given under their own name: they win over an alias (`script` over `cmd`), as in PM2. */
  const canonical = new Set<string>();
  /** PM2's uid/user and gid as given (see run-as.ts). */
  const runAsGiven: Partial<Record<'user' | 'group', { key: string; value: string }>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const field = findField(key) ?? findField(camelToSnake(key));
    if (field === undefined) {
      if (!pm2) throw unknownKey(key, ctx.source);
      warnings.push(`${ctx.source}: unknown key \`${key}\` is ignored (PM2 ignores it too)${didYouMean(key)}`);
      continue;
    }
    if (field.key === 'log_file' && typeof value === 'boolean') {
      // PM2 allows `log_file: true` (a default combined file) and `false` (none).
      if (value) warnings.push(`${ctx.source}: \`log_file: true\` is not supported yet; give a path for the combined log`);
      continue;
    }
    // PM2 reads `false` or '' in a text key (`log_date_format: false`, `out_file: ''`) as "not set".
    if (pm2 && field.type === 'string' && (value === false || value === '')) continue;
    if (field.ignored !== undefined) {
      if (!isQuiet(field, value)) warnings.push(`${ctx.source}: \`${key}\`${showValue(value)} is ignored: ${field.ignored}`);
      continue;
    }
    const isEnvBlock = ENV_BLOCK.test(key);
    if (pm2 && field.key === 'env_<name>' && isEnvBlock && typeof value === 'string') {
      // PM2's schema allows a string here and does nothing with it.
      warnings.push(`${ctx.source}: \`${key}\`${showValue(value)} is ignored: an env_<name> block is an object of variables`);
      continue;
    }
    // A string `args`/`node_args` in a PM2 file is split the way PM2 splits it.
    const given = pm2 && field.type === 'string-list' && typeof value === 'string' ? pm2SplitArgs(value) : value;
    const coerced = withSource(ctx, () => coerceField(field, given, key));
    if (field.runAs !== undefined) {
      runAsGiven[field.runAs] = { key, value: String(coerced) };
      continue;
    }
    if (field.unsupported !== undefined) {
      if (!isQuiet(field, coerced)) warnings.push(`${ctx.source}: \`${key}\`${showValue(value)} has no effect yet: ${field.unsupported}`);
      continue;
    }
    const block = ENV_BLOCK.exec(key);
    if (field.key === 'env_<name>' && block !== null) envBlocks.set(block[1] as string, coerced as Record<string, string>);
    else if (key === field.key || !canonical.has(field.key)) {
      if (key === field.key) canonical.add(field.key);
      values.set(field.key, coerced);
    }
  }
  const get = <T>(key: string): T => (values.has(key) ? values.get(key) : fieldDefault(key)) as T;

  const givenScript = values.get('script');
  if (typeof givenScript !== 'string') throw missingScript(ctx);
  let script = givenScript;
  const name = get<string | undefined>('name') ?? (pm2 ? pm2AppName(script) : defaultAppName(script));
  validateName(name, ctx.source);
  const baseDir = pickBaseDir(ctx, script, get<string | undefined>('cwd'));
  const cwd = resolve(baseDir, get<string | undefined>('cwd') ?? '.');
  let shell = get<boolean>('shell');
  let args = get<string[]>('args');
  // PM2 runs a script with spaces (`npm run start`) through a shell, without its args.
  if (pm2 && !shell && /\s/.test(script.trim()) && !values.has('interpreter') && !existsAt(cwd, script)) {
    shell = true;
    script = script.trim();
    if (args.length > 0)
      warnings.push(
        `${ctx.source}: \`args\` are ignored because \`script\` is a command line run by a shell (as PM2 does); put them in \`script\``,
      );
    args = [];
  }
  const { env, userKeys } = buildEnv(ctx, cwd, get('env_file'), get('env'), envBlocks, get('port'), warnings);

  const viaNode =
    pm2 && !shell && !values.has('interpreter') && !existsAt(cwd, script) ? nodeScriptInPath(script, env.PATH, cwd) : undefined;
  if (viaNode !== undefined) script = viaNode;
  let interpreter =
    viaNode !== undefined
      ? 'node'
      : values.has('interpreter')
        ? get<string>('interpreter')
        : guessInterpreter(resolve(cwd, script), pm2, env.PATH);
  if (interpreter === 'none' || shell) interpreter = 'none';
  if (interpreter.startsWith('node@')) interpreter = resolveNodeVersion(interpreter, env, ctx.source);
  // Python buffers its output when it is not a terminal: PM2 sets PYTHONUNBUFFERED, so do we.
  if (/python/.test(interpreter) && env.PYTHONUNBUFFERED === undefined) env.PYTHONUNBUFFERED = '1';

  let resolvedScript = script;
  if (!shell) resolvedScript = resolveScript(script, interpreter !== 'none', cwd, env, ctx.source, interpreter === 'node');
  if (interpreter !== 'none' && interpreter !== 'node' && findExecutable(interpreter, env.PATH, cwd) === undefined) {
    throw new TendError('E_INTERPRETER_NOT_FOUND', `${ctx.source}: interpreter \`${interpreter}\` was not found in PATH`, {
      hint: 'Install it, give its absolute path with --interpreter, or use `--interpreter none` to run the script directly.',
    });
  }

  const logPath = (p: string | undefined): string | null => {
    if (p === undefined) return null;
    if (isNullFile(p)) return NULL_FILE;
    const expanded = expandHome(p, env);
    return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
  };
  const dateFormat = get<string | undefined>('log_date_format') ?? null;
  const merge = values.has('merge_logs') ? get<boolean>('merge_logs') : pm2MergeDefault(raw.instances, raw.exec_mode ?? raw.execMode);
  const log: LogSpec = {
    outFile: logPath(get('out_file')),
    errFile: logPath(get('error_file')),
    combinedFile: logPath(get('log_file')),
    merge,
    disabled: get('disable_logs'),
    // As in PM2, a log_date_format alone turns the time prefix on.
    time: get<boolean>('time') || dateFormat !== null,
    dateFormat,
    type: get('log_type'),
    maxSizeBytes: get('log_max_size'),
    rotateInterval: get('log_rotate_interval'),
    retain: get('log_retain'),
    compress: get('log_compress'),
  };
  const spec: AppSpec = {
    name,
    namespace: get('namespace'),
    exec: {
      script: resolvedScript,
      args,
      interpreter: interpreter === 'none' ? null : interpreter,
      interpreterArgs: get('interpreter_args'),
      shell,
    },
    cwd,
    env,
    autorestart: get('autorestart'),
    stopExitCodes: get('stop_exit_codes'),
    restartDelayMs: get('restart_delay'),
    expBackoffRestartDelayMs: get('exp_backoff_restart_delay'),
    maxRestarts: get('max_restarts'),
    minUptimeMs: get('min_uptime'),
    // PM2 stops apps with SIGINT; tend's own default is SIGTERM (what systemd and foreman send).
    killSignal: values.has('kill_signal') ? get('kill_signal') : pm2 ? 'SIGINT' : 'SIGTERM',
    killTimeoutMs: get('kill_timeout'),
    waitReady: get('wait_ready'),
    listenTimeoutMs: get('listen_timeout'),
    minReadyMs: get('min_ready'),
    log,
    ...clusterFields(get, interpreter, shell, ctx.source),
    maxMemoryRestartBytes: get<number | undefined>('max_memory_restart') || null,
    cronRestart: get<string | undefined>('cron_restart') ?? null,
    health: get<HealthSpec | undefined>('health') ?? null,
    userEnv: userKeys,
  };
  const watch = withSource(ctx, () =>
    buildWatchSpec(
      {
        watch: get('watch'),
        ignore: get('ignore_watch'),
        delayMs: get('watch_delay'),
        extensions: get('watch_ext'),
        options: get('watch_options'),
      },
      cwd,
      ctx.source,
      warnings,
    ),
  );
  if (watch !== undefined) spec.watch = watch;
  if (get<boolean>('pty')) spec.pty = { logAnsi: get('pty_log_ansi') };
  if (pm2) spec.pm2 = true;
  const dependsOn = get<Dependency[] | undefined>('depends_on');
  if (dependsOn !== undefined && dependsOn.length > 0) spec.dependsOn = dependsOn;
  const hooks = get<Hooks | undefined>('hooks');
  if (hooks !== undefined && Object.keys(hooks).length > 0) spec.hooks = hooks;
  const image = get<string | undefined>('image');
  if (image !== undefined) spec.image = image;
  const runAs = resolveRunAs(runAsGiven.user, runAsGiven.group, ctx.source);
  if (runAs !== null) spec.runAs = runAs;
  applyRunKind(spec, get, ctx.source);
  checkExecSize(spec, ctx.source);
  return { spec, warnings };
}

type ClusterFields = Pick<AppSpec, 'instances' | 'execMode' | 'instanceVar' | 'incrementVar' | 'listen' | 'shutdownWithMessage' | 'proxy'>;

/**
 * Instances, exec mode and sockets. PM2 runs `instances` > 1 in cluster mode even without
 * `exec_mode`; cluster mode is node:cluster, so another language needs `listen` (socket
 * activation) to run several processes on one port.
 */
function clusterFields(get: <T>(key: string) => T, interpreter: string, shell: boolean, source: string): ClusterFields {
  const rawInstances = get<number | 'max'>('instances');
  const instances = rawInstances === 'max' ? 0 : rawInstances;
  const listen = get<string[]>('listen').map((a) => withSourceValue(source, () => parseListenAddress(a).text));
  const mode = get<string>('exec_mode');
  const proxy = proxyField(get, source, listen, mode === 'cluster' || mode === 'cluster_mode');
  const own = listen.length > 0 || proxy !== undefined; // several processes on one port without node:cluster
  const execMode = mode === 'cluster' || mode === 'cluster_mode' || (instances !== 1 && !own) ? 'cluster' : 'fork';
  if (execMode === 'cluster' && listen.length === 0 && (interpreter !== 'node' || shell)) {
    throw new TendError(
      'E_INVALID_VALUE',
      `${source}: cluster mode runs Node.js scripts (node:cluster), and this app runs \`${shell ? 'a shell command' : interpreter}\``,
      {
        hint: 'For several processes of any language on one port: --proxy 8080 (each binds its own $PORT), or --listen 8080 and read the socket from fd 3 (LISTEN_FDS).',
        details: { field: 'exec_mode', source },
      },
    );
  }
  const incrementVar = get<string | undefined>('increment_var') ?? null;
  const instanceVar = get<string>('instance_var');
  for (const [key, v] of [
    ['instance_var', instanceVar],
    ['increment_var', incrementVar],
  ] as const) {
    if (v !== null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))
      throw new TendError('E_INVALID_VALUE', `${source}: Expected \`${key}\` to be a variable name like PORT, got \`${v}\``, {
        hint: 'Use letters, digits and `_`, not starting with a digit.',
      });
  }
  const shutdownWithMessage = get<boolean>('shutdown_with_message');
  return { instances, execMode, instanceVar, incrementVar, listen, shutdownWithMessage, ...(proxy === undefined ? {} : { proxy }) };
}

function withSourceValue<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isTendError(err)) throw err;
    throw new TendError(err.code, `${source}: ${err.message}`, { hint: err.hint, details: err.details, cause: err });
  }
}

/** PM2's base for relative paths is where it runs; tend falls back to the file's folder. */
function pickBaseDir(ctx: NormalizeContext, script: string, cwdKey: string | undefined): string {
  if (ctx.shellCwd === undefined || ctx.shellCwd === ctx.baseDir) return ctx.baseDir;
  const fromShell = resolve(ctx.shellCwd, cwdKey ?? '.');
  if (cwdKey !== undefined && !existsSync(fromShell)) return ctx.baseDir;
  return existsAt(fromShell, script) || !existsAt(resolve(ctx.baseDir, cwdKey ?? '.'), script) ? ctx.shellCwd : ctx.baseDir;
}

function existsAt(dir: string, script: string): boolean {
  return existsSync(resolve(dir, script));
}

/** PM2's default name: the script's base name without its last extension (`api.v2.js` → `api.v2`). */
function pm2AppName(script: string): string {
  const base = basename(script.trim());
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base) || 'app';
}

/**
 * The app's environment, lowest layer first: inherited (the CLI's, minus the login session) →
 * `env_file` → `deploy.<name>.env` (with `--env name`) → `env` → `env_<name>` (with `--env name`)
 * → `port` (PM2's PORT shortcut). Also the names the user set, for `describe`.
 */
function buildEnv(
  ctx: NormalizeContext,
  cwd: string,
  envFile: string | undefined,
  env: Record<string, string>,
  blocks: Map<string, Record<string, string>>,
  port: number | undefined,
  warnings: string[],
): { env: Record<string, string>; userKeys: string[] } {
  let fromFile: Record<string, string> = {};
  if (envFile !== undefined && ctx.pm2 === true && ctx.file !== undefined && !existsSync(resolve(cwd, envFile))) {
    // `env_file` is tend's key: PM2 ignores it, so a PM2 file naming a missing one still starts.
    warnings.push(
      `${ctx.source}: \`env_file\` ${resolve(cwd, envFile)} does not exist; no variables loaded from it (PM2 ignores this key)`,
    );
  } else if (envFile !== undefined) {
    const loaded = loadDotenv(resolve(cwd, envFile), ctx.source);
    fromFile = loaded.env;
    warnings.push(...loaded.warnings.map((w) => `${ctx.source}: ${w}`));
  }
  const picked = ctx.envName === undefined ? undefined : blocks.get(ctx.envName);
  const deploy = ctx.envName === undefined ? undefined : ctx.deployEnv;
  const set = { ...fromFile, ...deploy, ...env, ...picked };
  if (port !== undefined) set.PORT = String(port);
  return { env: { ...ctx.env, ...set }, userKeys: Object.keys(set) };
}

/** The name an app gets when none is given: the script's file name without its extension. */
export function defaultAppName(script: string): string {
  return basename(script.split(/\s+/)[0] ?? script).replace(/\.(c|m)?js$|\.[a-z0-9]+$/i, '') || 'app';
}

// "did you mean", by edit distance (camelCase forms of known keys are accepted, not suggested).
function unknownKey(key: string, source: string): TendError {
  const guess = suggest(key, allFieldNames());
  return new TendError('E_CONFIG_INVALID', `${source}: unknown key \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, {
    hint: 'Run `tend help config` for every supported key.',
    details: { source, key, suggestion: guess },
  });
}

function didYouMean(key: string): string {
  const guess = suggest(key, allFieldNames());
  return guess ? `; did you mean \`${guess}\`?` : '';
}

// Re-throws a value error with the file and app in front, keeping its code and fields.
function withSource<T>(ctx: NormalizeContext, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isTendError(err)) throw err;
    const details = typeof err.details === 'object' && err.details !== null ? err.details : {};
    throw new TendError(err.code, `${ctx.source}: ${err.message}`, {
      hint: err.hint,
      details: { ...details, source: ctx.source, ...(ctx.file === undefined ? {} : { file: ctx.file }) },
      cause: err,
    });
  }
}

function isQuiet(field: FieldDef, value: unknown): boolean {
  return (field.quietValues ?? []).some((q) => q === value);
}

function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 40 ? ` (${text})` : '';
}

/** A script run by an interpreter must be a file; a direct command is a path or a PATH name. */
function resolveScript(
  script: string,
  viaInterpreter: boolean,
  cwd: string,
  env: Record<string, string>,
  source: string,
  isNode: boolean,
): string {
  const looksLikePath = viaInterpreter || script.includes('/');
  if (!looksLikePath) {
    const found = findExecutable(script, env.PATH, cwd);
    if (found === undefined) {
      throw new TendError('E_SCRIPT_NOT_FOUND', `${source}: command \`${script}\` was not found in PATH`, {
        hint:
          script === 'serve'
            ? "PM2's built-in static server (`script: 'serve'`) is not part of tend: run one as an app, e.g. `python3 -m http.server 8080` or `npx serve`."
            : 'Check the spelling, or give a path (./bin/server).',
      });
    }
    return script;
  }
  const path = resolve(cwd, script);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new TendError('E_SCRIPT_NOT_FOUND', `${source}: script not found: ${path}`, {
      hint: "Check the path; relative paths are resolved from `cwd` (default: the current directory, or the config file's folder).",
    });
  }
  // Node runs a folder's index.js or package.json `main` (PM2's `init` template starts a folder).
  const nodeCanRun =
    isNode && ['package.json', 'index.js', 'index.cjs', 'index.json', 'index.node'].some((f) => existsSync(resolve(path, f)));
  if (isDir && !nodeCanRun) {
    throw new TendError(
      'E_SCRIPT_IS_DIRECTORY',
      `${source}: ${path} is a directory, not a script${isNode ? ' (it has no index.js or package.json for Node to run)' : ''}`,
      {
        hint: 'Name the file to run, e.g. `tend start app/server.js`.',
      },
    );
  }
  return path;
}

/**
 * Names are targets and appear in file names (made safe there, as PM2 does: `Custom Metrics` →
 * `Custom-Metrics-out.log`): any printable text without `/`, not only digits, not `all`, not
 * starting with `-` or `.`, at most 100 characters. Spaces are allowed, as in PM2.
 */
export function validateName(name: string, source: string): void {
  if (
    name.length === 0 ||
    name.length > 100 ||
    /[/\x00-\x1f\x7f]/.test(name) ||
    /^\d+$/.test(name) ||
    name === 'all' ||
    /^[-.\s]/.test(name) ||
    name.trim() !== name
  ) {
    throw new TendError('E_INVALID_VALUE', `${source}: invalid app name \`${name}\``, {
      hint: 'Use printable text without `/` (not only digits, not `all`, not starting with `-` or `.`, at most 100 characters).',
    });
  }
}
