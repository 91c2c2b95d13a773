import { TendError } from '../errors.js';
import type { Target } from '../protocol/methods.js';
import type { LogStream } from '../protocol/logs.js';

/**
 * Checks of method parameters shared by every handler that takes them (the daemon's methods and
 * the web API's routes): what comes from a socket or a URL is never trusted.
 */

/** A name, a numeric id or `all`. */
export function checkTarget(t: unknown): Target {
  if ((typeof t === 'string' && t.length > 0) || (typeof t === 'number' && Number.isInteger(t))) return t;
  throw new TendError('E_USAGE', 'a target is required: an app name, an id, or `all`');
}

/** A target that defaults to `all` when absent. */
export function optionalTarget(t: unknown): Target {
  return t === undefined || t === null ? 'all' : checkTarget(t);
}

/** Log streams: `out`, `err` or both (the default). */
export function checkStreams(s: unknown): LogStream[] {
  if (s === undefined || (Array.isArray(s) && s.length === 0)) return ['out', 'err'];
  if (Array.isArray(s) && s.every((x) => x === 'out' || x === 'err')) return [...new Set(s as LogStream[])];
  throw new TendError('E_USAGE', 'streams must be a list of `out` and `err`');
}
