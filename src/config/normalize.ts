import { statSync } from 'node:fs';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import { TendError, isTendError } from '../errors.js';
import { findExecutable } from '../lib/which.js';
import { suggest } from '../lib/suggest.js';
import { parseListenAddress } from '../lib/listen-address.js';
import type { AppSpec, Dependency, HealthSpec, Hooks, LogSpec } from '../protocol/model.js';
import { coerceField } from './coerce.js';
import { checkExecSize } from './exec-size.js';
import { loadDotenv } from './dotenv.js';
import { ENV_BLOCK, allFieldNames, fieldDefault, findField, type FieldDef } from './schema.js';

export { coerceField } from './coerce.js';

export interface NormalizeContext {
  /** Base for relative paths (the CLI's cwd, or the config file's folder). */
  baseDir: string;
  /** Inherited environment (already stripped of login-session variables). */
  env: Record<string, string>;
  /** Where the value came from, for messages: `command line`, `ecosystem.config.js, app "api"`. */
  source: string;
  /** `--env <name>`: the `env_<name>` block layered over `env`. */
  envName?: string | undefined;
  /** The config file the app comes from; a missing `script` is then a config error. */
  file?: string | undefined;
}

export interface NormalizeResult {
  spec: AppSpec;
  warnings: string[];
}

const INTERPRETER_BY_EXT: Record<string, string> = {
  '.js': 'node', '.mjs': 'node', '.cjs': 'node',
  '.py': 'python3', '.sh': 'bash', '.rb': 'ruby', '.pl': 'perl', '.php': 'php',
};

/** Validates keys, coerces values once and fills defaults: the only way an AppSpec is made. */
export function normalizeApp(raw: Record<string, unknown>, ctx: NormalizeContext): NormalizeResult {
  const values = new Map<string, unknown>();
  const envBlocks = new Map<string, Record<string, string>>();
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const field = findField(key);
    if (field === undefined) throw unknownKey(key, ctx.source);
    if (field.key === 'log_file' && typeof value === 'boolean') {
      // PM2 allows `log_file: true` (a default combined file) and `false` (none).
      if (value) warnings.push(`${ctx.source}: \`log_file: true\` is not supported yet; give a path for the combined log`);
      continue;
    }
    if (field.ignored !== undefined) {
      if (!isQuiet(field, value)) warnings.push(`${ctx.source}: \`${key}\`${showValue(value)} is ignored: ${field.ignored}`);
      continue;
    }
    const coerced = withSource(ctx, () => coerceField(field, value, key));
    if (field.unsupported !== undefined) {
      if (!isQuiet(field, coerced)) warnings.push(`${ctx.source}: \`${key}\`${showValue(value)} has no effect yet: ${field.unsupported}`);
      continue;
    }
    const block = ENV_BLOCK.exec(key);
    if (field.key === 'env_<name>' && block !== null) envBlocks.set(block[1] as string, coerced as Record<string, string>);
    else values.set(field.key, coerced);
  }
  const get = <T>(key: string): T => (values.has(key) ? values.get(key) : fieldDefault(key)) as T;

  const script = values.get('script');
  if (typeof script !== 'string') {
    if (ctx.file !== undefined) {
      throw new TendError('E_CONFIG_INVALID', `${ctx.source}: missing \`script\``, {
        hint: 'Every app needs a `script`: a file to run (`server.js`) or a command (`npm`, with `args: "start"`).',
        details: { file: ctx.file, source: ctx.source, field: 'script' },
      });
    }
    throw new TendError('E_USAGE', `${ctx.source}: no script given`, { hint: 'Give a script (`tend start server.js`) or a command after `--`.' });
  }
  const cwd = resolve(ctx.baseDir, get<string | undefined>('cwd') ?? '.');
  const shell = get<boolean>('shell');
  let interpreter = values.has('interpreter') ? get<string>('interpreter') : (INTERPRETER_BY_EXT[extname(script)] ?? 'none');
  if (interpreter === 'none' || shell) interpreter = 'none';
  const env = buildEnv(ctx, cwd, get('env_file'), get('env'), envBlocks, get('port'), warnings);

  let resolvedScript = script;
  if (!shell) resolvedScript = resolveScript(script, interpreter !== 'none', cwd, env, ctx.source);
  if (interpreter !== 'none' && interpreter !== 'node' && findExecutable(interpreter, env.PATH, cwd) === undefined) {
    throw new TendError('E_INTERPRETER_NOT_FOUND', `${ctx.source}: interpreter \`${interpreter}\` was not found in PATH`, {
      hint: 'Install it, give its absolute path with --interpreter, or use `--interpreter none` to run the script directly.',
    });
  }

  const name = get<string | undefined>('name') ?? defaultAppName(script);
  validateName(name, ctx.source);
  const resolvePath = (p: string | undefined): string | null => (p === undefined ? null : isAbsolute(p) ? p : resolve(cwd, p));

  const log: LogSpec = {
    outFile: resolvePath(get('out_file')),
    errFile: resolvePath(get('error_file')),
    combinedFile: resolvePath(get('log_file')),
    merge: get('merge_logs'),
    disabled: get('disable_logs'),
    time: get('time'),
    dateFormat: get<string | undefined>('log_date_format') ?? null,
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
      args: get('args'),
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
    killSignal: get('kill_signal'),
    killTimeoutMs: get('kill_timeout'),
    waitReady: get('wait_ready'),
    listenTimeoutMs: get('listen_timeout'),
    log,
    ...clusterFields(get, interpreter, shell, ctx.source),
    maxMemoryRestartBytes: get<number | undefined>('max_memory_restart') || null,
    cronRestart: get<string | undefined>('cron_restart') ?? null,
    health: get<HealthSpec | undefined>('health') ?? null,
  };
  const dependsOn = get<Dependency[] | undefined>('depends_on');
  if (dependsOn !== undefined && dependsOn.length > 0) spec.dependsOn = dependsOn;
  const hooks = get<Hooks | undefined>('hooks');
  if (hooks !== undefined && Object.keys(hooks).length > 0) spec.hooks = hooks;
  const image = get<string | undefined>('image');
  if (image !== undefined) spec.image = image;
  checkExecSize(spec, ctx.source);
  return { spec, warnings };
}

type ClusterFields = Pick<AppSpec, 'instances' | 'execMode' | 'instanceVar' | 'incrementVar' | 'listen' | 'shutdownWithMessage'>;

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
  const execMode = mode === 'cluster' || mode === 'cluster_mode' || (instances !== 1 && listen.length === 0) ? 'cluster' : 'fork';
  if (execMode === 'cluster' && listen.length === 0 && (interpreter !== 'node' || shell)) {
    throw new TendError('E_INVALID_VALUE', `${source}: cluster mode runs Node.js scripts (node:cluster), and this app runs \`${shell ? 'a shell command' : interpreter}\``, {
      hint: 'For several processes of any language on one port, give the sockets to tend: --listen 8080 (or `listen: [\'8080\']`), and read them from fd 3 (LISTEN_FDS).',
      details: { field: 'exec_mode', source },
    });
  }
  const incrementVar = get<string | undefined>('increment_var') ?? null;
  const instanceVar = get<string>('instance_var');
  for (const [key, v] of [['instance_var', instanceVar], ['increment_var', incrementVar]] as const) {
    if (v !== null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) throw new TendError('E_INVALID_VALUE', `${source}: Expected \`${key}\` to be a variable name like PORT, got \`${v}\``, { hint: 'Use letters, digits and `_`, not starting with a digit.' });
  }
  return { instances, execMode, instanceVar, incrementVar, listen, shutdownWithMessage: get('shutdown_with_message') };
}

function withSourceValue<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isTendError(err)) throw err;
    throw new TendError(err.code, `${source}: ${err.message}`, { hint: err.hint, details: err.details, cause: err });
  }
}

/**
 * The app's environment, lowest layer first: inherited (the CLI's, minus the login session) →
 * `env_file` → `env` → `env_<name>` (with `--env name`) → `port` (PM2's PORT shortcut).
 */
function buildEnv(
  ctx: NormalizeContext,
  cwd: string,
  envFile: string | undefined,
  env: Record<string, string>,
  blocks: Map<string, Record<string, string>>,
  port: number | undefined,
  warnings: string[],
): Record<string, string> {
  let fromFile: Record<string, string> = {};
  if (envFile !== undefined) {
    const loaded = loadDotenv(resolve(cwd, envFile), ctx.source);
    fromFile = loaded.env;
    warnings.push(...loaded.warnings.map((w) => `${ctx.source}: ${w}`));
  }
  const picked = ctx.envName === undefined ? undefined : blocks.get(ctx.envName);
  const out = { ...ctx.env, ...fromFile, ...env, ...picked };
  if (port !== undefined) out.PORT = String(port);
  return out;
}

/** The name an app gets when none is given: the script's file name without its extension. */
export function defaultAppName(script: string): string {
  return basename(script.split(/\s+/)[0] ?? script).replace(/\.(c|m)?js$|\.[a-z0-9]+$/i, '') || 'app';
}

// "did you mean": first the snake_case form of a camelCase key (`maxRestarts`), then edit distance.
function unknownKey(key: string, source: string): TendError {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const guess = findField(snake) !== undefined && snake !== key ? snake : suggest(key, allFieldNames());
  return new TendError('E_CONFIG_INVALID', `${source}: unknown key \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, {
    hint: 'Run `tend help config` for every supported key.',
    details: { source, key, suggestion: guess },
  });
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
function resolveScript(script: string, viaInterpreter: boolean, cwd: string, env: Record<string, string>, source: string): string {
  const looksLikePath = viaInterpreter || script.includes('/');
  if (!looksLikePath) {
    const found = findExecutable(script, env.PATH, cwd);
    if (found === undefined) {
      throw new TendError('E_SCRIPT_NOT_FOUND', `${source}: command \`${script}\` was not found in PATH`, {
        hint: 'Check the spelling, or give a path (./bin/server).',
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
      hint: 'Check the path; relative paths are resolved from `cwd` (default: the current directory, or the config file\'s folder).',
    });
  }
  if (isDir) {
    throw new TendError('E_SCRIPT_IS_DIRECTORY', `${source}: ${path} is a directory, not a script`, {
      hint: 'Name the file to run, e.g. `tend start app/server.js`.',
    });
  }
  return path;
}

/** Names are used in file names and as targets: no slashes, not numeric, not `all`. */
export function validateName(name: string, source: string): void {
  if (!/^[A-Za-z0-9_.@:-][A-Za-z0-9_.@:+-]{0,99}$/.test(name) || /^\d+$/.test(name) || name === 'all' || name.startsWith('.')) {
    throw new TendError('E_INVALID_VALUE', `${source}: invalid app name \`${name}\``, {
      hint: 'Use letters, digits, `-`, `_`, `.`, `@`, `:` (not only digits, not `all`, at most 100 characters).',
    });
  }
}
