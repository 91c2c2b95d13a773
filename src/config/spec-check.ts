import { isAbsolute } from 'node:path';
import { TendError, invalidValue } from '../errors.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { coerceField } from './coerce.js';
import { validateName } from './normalize.js';
import { findField } from './schema.js';
import { deepEqual } from './specs-equal.js';
import { checkExecSize } from './exec-size.js';
import { checkPtyShape, checkWatchShape } from './watch-spec.js';
import { checkProxyShape } from './proxy-spec.js';

/** AppSpec field → the schema key whose type it has (the same coercion the CLI applies). */
const SCHEMA_KEY: Record<string, string> = {
  namespace: 'namespace',
  cwd: 'cwd',
  env: 'env',
  autorestart: 'autorestart',
  stopExitCodes: 'stop_exit_codes',
  restartDelayMs: 'restart_delay',
  expBackoffRestartDelayMs: 'exp_backoff_restart_delay',
  maxRestarts: 'max_restarts',
  minUptimeMs: 'min_uptime',
  killSignal: 'kill_signal',
  killTimeoutMs: 'kill_timeout',
  waitReady: 'wait_ready',
  listenTimeoutMs: 'listen_timeout',
};
const LOG_KEY: Record<string, string> = {
  merge: 'merge_logs',
  disabled: 'disable_logs',
  time: 'time',
  type: 'log_type',
  maxSizeBytes: 'log_max_size',
  rotateInterval: 'log_rotate_interval',
  retain: 'log_retain',
  compress: 'log_compress',
};
const LOG_PATHS = ['outFile', 'errFile', 'combinedFile'];

/**
 * Optional fields whose normalized form differs from what a config file says: each is turned
 * back into config form and run through the same schema coercion, which must give it back
 * unchanged. `null` (or absent) means unset.
 */
const STRUCTURED: Record<string, { key: string; toConfig(v: unknown): unknown }> = {
  maxMemoryRestartBytes: { key: 'max_memory_restart', toConfig: (v) => v },
  cronRestart: { key: 'cron_restart', toConfig: (v) => v },
  incrementVar: { key: 'increment_var', toConfig: (v) => v },
  image: { key: 'image', toConfig: (v) => v },
  readyLogLine: { key: 'ready_log_line', toConfig: (v) => v },
  dependsOn: {
    key: 'depends_on',
    toConfig: (v) =>
      Array.isArray(v) ? Object.fromEntries(v.map((d: { app?: unknown; condition?: unknown }) => [String(d?.app), d?.condition])) : v,
  },
  hooks: {
    key: 'hooks',
    toConfig: (v) =>
      isObject(v)
        ? Object.fromEntries(
            Object.entries(v).map(([event, a]) => [
              event,
              isObject(a) && a.type === 'http' ? { url: a.url } : isObject(a) && a.type === 'command' ? { command: a.command } : a,
            ]),
          )
        : v,
  },
  health: {
    key: 'health',
    toConfig: (v) => {
      if (!isObject(v) || !isObject(v.probe)) return v;
      const p = v.probe;
      const target =
        p.type === 'http'
          ? p.url
          : p.type === 'exec'
            ? p.command
            : p.type === 'tcp'
              ? `${String(p.host).includes(':') ? `[${String(p.host)}]` : String(p.host)}:${String(p.port)}`
              : undefined;
      return { [String(p.type)]: target, interval: v.intervalMs, timeout: v.timeoutMs, retries: v.retries, start_period: v.startPeriodMs };
    },
  },
};

/**
 * Checks a complete AppSpec from outside the CLI's own normalizer (a socket frame, state.json,
 * dump.json) with the same schema the CLI uses: every value must already be in its normalized
 * form (coercing it through the field's schema type must change nothing), the name must pass the
 * CLI's name rule (no path separators), paths must be absolute, and argv/env must fit exec(2).
 * Throws E_INVALID_VALUE naming `where` and the field.
 */
export function checkAppSpec(value: unknown, where: string): AppSpec {
  const bad = (field: string, expected: string, got: unknown): never => {
    const e = invalidValue(field, expected, got);
    throw new TendError('E_INVALID_VALUE', `${where}: ${e.message}`, {
      hint: 'Specs must be built by the tend CLI or config loader; fix or remove this app.',
      details: e.details,
    });
  };
  if (!isObject(value)) return bad('spec', 'an object', value);
  const s = value;
  if (typeof s.name !== 'string') bad('name', 'a string', s.name);
  validateName(s.name as string, where);
  for (const [key, schemaKey] of Object.entries(SCHEMA_KEY)) strict(s, key, schemaKey, where, bad);
  if (!isAbsolute(s.cwd as string)) bad('cwd', 'an absolute path', s.cwd);
  if (!isObject(s.exec)) return bad('exec', 'an object', s.exec);
  const exec = s.exec;
  if (typeof exec.script !== 'string' || exec.script === '') bad('exec.script', 'a non-empty string', exec.script);
  if (!isStringList(exec.args)) bad('exec.args', 'a list of strings', exec.args);
  if (!isStringList(exec.interpreterArgs)) bad('exec.interpreterArgs', 'a list of strings', exec.interpreterArgs);
  if (exec.interpreter !== null && (typeof exec.interpreter !== 'string' || exec.interpreter === ''))
    bad('exec.interpreter', 'a program name or null', exec.interpreter);
  if (typeof exec.shell !== 'boolean') bad('exec.shell', '`true` or `false`', exec.shell);
  if (!isObject(s.log)) return bad('log', 'an object', s.log);
  const log = s.log;
  for (const [key, schemaKey] of Object.entries(LOG_KEY)) strict(log, key, schemaKey, where, bad, `log.${key}`);
  for (const key of LOG_PATHS) {
    const p = log[key];
    if (p !== null && (typeof p !== 'string' || !isAbsolute(p))) bad(`log.${key}`, 'an absolute path or null', p);
  }
  if (log.dateFormat !== null && typeof log.dateFormat !== 'string') bad('log.dateFormat', 'a string or null', log.dateFormat);
  for (const [key, how] of Object.entries(STRUCTURED)) {
    if (s[key] === null || s[key] === undefined) continue;
    const field = findField(how.key);
    if (field === undefined) continue;
    let back: unknown;
    try {
      back = coerceField(field, how.toConfig(s[key]), key);
    } catch (err) {
      throw new TendError('E_INVALID_VALUE', `${where}: ${(err as Error).message}`, {
        hint: 'Specs must be built by the tend CLI or config loader; fix or remove this app.',
      });
    }
    if (!deepEqual(back, s[key])) bad(key, 'its normalized form', s[key]);
  }
  // Bookkeeping of how the app was started (no config key): PM2's way, and the variables set.
  if (s.pm2 !== undefined && typeof s.pm2 !== 'boolean') bad('pm2', '`true` or `false`', s.pm2);
  if (s.userEnv !== undefined && !isStringList(s.userEnv)) bad('userEnv', 'a list of variable names', s.userEnv);
  if (typeof s.readyLogLine === 'string') {
    try {
      new RegExp(s.readyLogLine);
    } catch {
      bad('readyLogLine', 'a regular expression', s.readyLogLine);
    }
    if (s.waitReady !== true) bad('waitReady', '`true` with readyLogLine', s.waitReady);
  }
  if (s.runOf !== undefined && (!Number.isInteger(s.runOf) || (s.runOf as number) < 0)) bad('runOf', 'an app id', s.runOf);
  if (s.configFile !== undefined && (typeof s.configFile !== 'string' || !isAbsolute(s.configFile)))
    bad('configFile', 'an absolute path', s.configFile);
  if (s.watch !== undefined) checkWatchShape(s.watch, bad);
  if (s.pty !== undefined) checkPtyShape(s.pty, bad);
  if (s.runAs !== undefined) checkRunAsShape(s.runAs, bad);
  if (s.proxy !== undefined) checkProxyShape(s.proxy, bad);
  // Fields added by newer code (cluster, watch, …) are checked through their schema key too.
  for (const key of Object.keys(s)) {
    if (
      key in SCHEMA_KEY ||
      key in STRUCTURED ||
      ['name', 'exec', 'log', 'pm2', 'userEnv', 'configFile', 'watch', 'pty', 'runAs', 'proxy', 'runOf'].includes(key)
    )
      continue;
    const schemaKey = snakeKey(key);
    if (findField(schemaKey) === undefined) bad(key, 'a known AppSpec field', s[key]);
    strict(s, key, schemaKey, where, bad);
  }
  checkExecSize(s as unknown as AppSpec, where);
  return s as unknown as AppSpec;
}

const snakeKey = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/_(ms|bytes)$/, '');
const LOG_PATH_KEY: Record<string, string> = {
  outFile: 'out_file',
  errFile: 'error_file',
  combinedFile: 'log_file',
  dateFormat: 'log_date_format',
};

/** The config-file key of an AppSpec field (`restartDelayMs` → `restart_delay`, `log.errFile` → `error_file`). */
export function configKeyOf(field: string, sub?: string): string {
  if (field === 'log' && sub !== undefined) return LOG_KEY[sub] ?? LOG_PATH_KEY[sub] ?? `log.${sub}`;
  if (field === 'exec' && sub !== undefined) return snakeKey(sub);
  return SCHEMA_KEY[field] ?? STRUCTURED[field]?.key ?? snakeKey(field);
}

function strict(
  obj: Record<string, unknown>,
  key: string,
  schemaKey: string,
  where: string,
  bad: (f: string, e: string, g: unknown) => never,
  label = key,
): void {
  const field = findField(schemaKey);
  if (field === undefined) return;
  const value = obj[key];
  let coerced: unknown;
  try {
    coerced = coerceField(field, value, label);
  } catch (err) {
    throw new TendError('E_INVALID_VALUE', `${where}: ${(err as Error).message}`, {
      hint: 'Specs must be built by the tend CLI or config loader; fix or remove this app.',
    });
  }
  // Already normalized: `stopExitCodes: 5` coerces to [5], so it is not an AppSpec value.
  if (!deepEqual(coerced, value)) bad(label, `its normalized form (${JSON.stringify(coerced)})`, value);
  if (field.type === 'env' && Object.values(value as object).some((v) => typeof v !== 'string')) bad(label, 'a map of strings', value);
}

/** A user to run as: ids a root daemon can switch to, and a user name for initgroups. */
function checkRunAsShape(v: unknown, bad: (f: string, e: string, g: unknown) => never): void {
  if (!isObject(v)) return bad('runAs', 'an object', v);
  for (const k of ['uid', 'gid'] as const)
    if (!Number.isSafeInteger(v[k]) || (v[k] as number) < 0) bad(`runAs.${k}`, 'a user or group id', v[k]);
  if (typeof v.user !== 'string' || !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(v.user)) bad('runAs.user', 'a user name', v.user);
  if (Object.keys(v).length !== 3) bad('runAs', 'uid, gid and user only', v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
