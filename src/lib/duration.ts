import { invalidValue } from '../errors.js';
import { MAX_TIMER_MS } from './long-timeout.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration the same way everywhere: a plain number is milliseconds (`1500`), or a
 * number with a unit (`1.5s`, `2m`, `250ms`, `1h`, `1d`). Negative or non-numeric values throw,
 * and so does one over `maxMs`: by default what a timer holds (24.8 days; a longer setTimeout
 * fires at once, so `kill_timeout: 30d` would SIGKILL at once). Durations waited with
 * setLongTimeout (max_age, schedule_interval) pass Infinity.
 */
export function parseDuration(value: unknown, field = 'duration', maxMs = MAX_TIMER_MS): number {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) ms = Math.round(value);
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value) : null;
  if (m?.[1] !== undefined) ms = Math.round(Number(m[1]) * (UNIT_MS[(m[2] ?? 'ms').toLowerCase()] ?? 1));
  if (ms === undefined) throw invalidValue(field, 'a non-negative duration like `1500`, `1.5s` or `2m`', value);
  if (ms > maxMs) throw invalidValue(field, `a duration of at most ${formatDuration(maxMs)}`, value);
  return ms;
}

/** Human form of a duration for tables: 45s, 12m, 3h, 2d. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
