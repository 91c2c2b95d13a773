import type { AppSpec } from '../protocol/app-spec.js';

/**
 * True when two specs ask for the same thing, so `tend start <file>` of a running app restarts
 * it only when something changed. Deep; object keys (env, log) compare regardless of order;
 * lists (args, stop_exit_codes) keep their order because it matters. The file it came from
 * (`configFile`) is not compared.
 */
export function specsEqual(a: AppSpec, b: AppSpec): boolean {
  // Where the spec came from is bookkeeping, not something the app is asked to do.
  return deepEqual({ ...a, configFile: undefined }, { ...b, configFile: undefined });
}

/** Deep equality of JSON-like values (absent key = undefined key). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  // An absent key and a key set to undefined mean the same (JSON round trips drop the latter).
  const keysA = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const keysB = Object.keys(rb).filter((k) => rb[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}
