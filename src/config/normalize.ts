import { statSync } from 'node:fs';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import { TendError, invalidValue } from '../errors.js';
import { parseBytes } from '../lib/bytes.js';
import { parseDuration } from '../lib/duration.js';
import { findExecutable } from '../lib/which.js';
import { parseSignal } from '../lib/signals.js';
import { splitArgs } from '../lib/split-args.js';
import { suggest } from '../lib/suggest.js';
import type { AppSpec, LogSpec } from '../protocol/model.js';
import { APP_FIELDS, allFieldNames, findField, type FieldDef } from './schema.js';

export interface NormalizeContext {
  /** Base for relative paths (the CLI's cwd, or the config file's folder). */
  baseDir: string;
  /** Inherited environment (already stripped of login-session variables). */
  env: Record<string, string>;
  /** Where the value came from, for error messages: `command line`, `ecosystem.config.js app "api"`. */
  source: string;
}

export interface NormalizeResult {
  spec: AppSpec;
  warnings: string[];
}

const INTERPRETER_BY_EXT: Record<string, string> = {
  '.js': 'node', '.mjs': 'node', '.cjs': 'node',
  '.py': 'python3', '.sh': 'bash', '.rb': 'ruby', '.pl': 'perl', '.php': 'php',
};

/** Coerces one value to its field's type, once ("false" → false, "1.5s" → 1500). */
export function coerceField(field: FieldDef, value: unknown): unknown {
  const key = field.key;
  switch (field.type) {
    case 'string':
      if (typeof value === 'string' && value.length > 0) return value;
      if (typeof value === 'number') return String(value);
      throw invalidValue(key, 'a non-empty string', value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1' || value === 1) return true;
      if (value === 'false' || value === '0' || value === 0) return false;
      throw invalidValue(key, '`true` or `false`', value);
    case 'integer': {
      const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
      if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
      throw invalidValue(key, 'a non-negative whole number', value);
    }
    case 'duration':
      return parseDuration(value, key);
    case 'size':
      return parseBytes(value, key);
    case 'signal':
      return parseSignal(value, key);
    case 'enum':
      if (typeof value === 'string' && field.values?.includes(value)) return value;
      throw invalidValue(key, `one of ${(field.values ?? []).map((v) => `\`${v}\``).join(', ')}`, value);
    case 'string-list':
      if (typeof value === 'string') return splitArgs(value);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
      throw invalidValue(key, 'a list of strings (or one string)', value);
    case 'integer-list': {
      const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
      const nums = list.map((v) => (typeof v === 'string' ? Number(v.trim()) : v));
      if (nums.every((n) => typeof n === 'number' && Number.isInteger(n))) return nums;
      throw invalidValue(key, 'a list of whole numbers like `0,143`', value);
    }
    case 'env': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(key, 'an object of NAME: value', value);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || v === null) continue;
        if (typeof v === 'object') throw invalidValue(`${key}.${k}`, 'a string, number or boolean', v);
        out[k] = String(v);
      }
      return out;
    }
  }
}

/** Validates keys, coerces values once and fills defaults: the only way an AppSpec is made. */
export function normalizeApp(raw: Record<string, unknown>, ctx: NormalizeContext): NormalizeResult {
  const values = new Map<string, unknown>();
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const field = findField(key);
    if (field === undefined) {
      const guess = suggest(key, allFieldNames());
      throw new TendError('E_CONFIG_INVALID', `${ctx.source}: unknown key \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, {
        hint: 'Run `tend help config` for every supported key.',
        details: { key, suggestion: guess },
      });
    }
    if (field.ignored !== undefined) {
      warnings.push(`${ctx.source}: \`${key}\` is ignored: ${field.ignored}`);
      continue;
    }
    if (field.unsupported !== undefined) {
      warnings.push(`${ctx.source}: \`${key}\` is not supported yet: ${field.unsupported}`);
      continue;
    }
    try {
      values.set(field.key, coerceField(field, value));
    } catch (err) {
      if (err instanceof TendError) throw new TendError(err.code, `${ctx.source}: ${err.message}`, { hint: err.hint, details: err.details });
      throw err;
    }
  }
  const get = <T>(key: string): T => {
    if (values.has(key)) return values.get(key) as T;
    return APP_FIELDS.find((f) => f.key === key)?.default as T;
  };

  const script = values.get('script');
  if (typeof script !== 'string') {
    throw new TendError('E_USAGE', `${ctx.source}: no script given`, { hint: 'Give a script (`tend start server.js`) or a command after `--`.' });
  }
  const cwd = resolve(ctx.baseDir, get<string | undefined>('cwd') ?? '.');
  const shell = get<boolean>('shell');
  let interpreter = values.has('interpreter') ? get<string>('interpreter') : (INTERPRETER_BY_EXT[extname(script)] ?? 'none');
  if (interpreter === 'none' || shell) interpreter = 'none';
  const env = { ...ctx.env, ...get<Record<string, string>>('env') };

  let resolvedScript = script;
  if (!shell) resolvedScript = resolveScript(script, interpreter !== 'none', cwd, env, ctx.source);
  if (interpreter !== 'none' && interpreter !== 'node' && findExecutable(interpreter, env.PATH, cwd) === undefined) {
    throw new TendError('E_INTERPRETER_NOT_FOUND', `${ctx.source}: interpreter \`${interpreter}\` was not found in PATH`, {
      hint: 'Install it, give its absolute path with --interpreter, or use `--interpreter none` to run the script directly.',
    });
  }

  const defaultName = basename(script.split(/\s+/)[0] ?? script).replace(/\.(c|m)?js$|\.[a-z0-9]+$/i, '') || 'app';
  const name = get<string | undefined>('name') ?? defaultName;
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
  };
  return { spec, warnings };
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
      hint: 'Check the path; relative paths are resolved from --cwd (default: the current directory).',
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
