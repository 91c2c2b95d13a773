import type { AppSpec } from '../protocol/app-spec.js';
import { configKeyOf } from './spec-check.js';
import { deepEqual } from './specs-equal.js';

/** Bookkeeping fields that never make an app restart. */
const NOT_SETTINGS = new Set(['configFile']);

/**
 * The settings that differ between a running app's spec and a new one, named as in a config file
 * (`instances`, `restart_delay`, `error_file`), a variable as `env.NAME`: its value is never shown
 * (it may be a secret). Empty when the specs ask for the same thing (see specsEqual).
 */
export function specChanges(before: AppSpec, after: AppSpec): string[] {
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  const out: string[] = [];
  for (const key of unionKeys(a, b)) {
    if (NOT_SETTINGS.has(key) || deepEqual(a[key], b[key])) continue;
    if (key === 'env') {
      for (const name of unionKeys(before.env, after.env)) if (before.env[name] !== after.env[name]) out.push(`env.${name}`);
    } else if (key === 'userEnv') {
      // A variable the file now sets (or no longer sets) with the value it inherits is still that
      // variable's change, named as one (`user_env` is no key of a file).
      const was = new Set(before.userEnv ?? Object.keys(before.env));
      const is = new Set(after.userEnv ?? Object.keys(after.env));
      for (const name of new Set([...was, ...is])) if (was.has(name) !== is.has(name)) out.push(`env.${name}`);
    } else if (key === 'exec' || key === 'log') {
      const x = (a[key] ?? {}) as Record<string, unknown>;
      const y = (b[key] ?? {}) as Record<string, unknown>;
      for (const sub of unionKeys(x, y)) if (!deepEqual(x[sub], y[sub])) out.push(configKeyOf(key, sub));
    } else {
      out.push(configKeyOf(key));
    }
  }
  return [...new Set(out)];
}

function unionKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}
