import { invalidValue } from '../errors.js';
import { MAX_INSTANCES } from '../protocol/app-spec.js';
import { parseBytes } from '../lib/bytes.js';
import { parseDuration } from '../lib/duration.js';
import { parseSignal } from '../lib/signals.js';
import { splitArgs } from '../lib/split-args.js';
import type { FieldDef } from './schema.js';
import { coerceCron } from './cron.js';
import { coerceHealth } from './health-spec.js';
import { coerceDependsOn, coerceHooks } from './orchestration.js';

/** Durations waited with setLongTimeout, so longer than a timer holds (months are fine). */
const LONG_TIMERS = new Set(['max_age', 'max_age_jitter', 'schedule_interval']);

/**
 * Coerces one value to its field's type, once ("false" → false, "1.5s" → 1500): ecosystem files
 * and CLI flags (always strings) go through the same door, so nothing downstream re-parses.
 * Throws the "Expected `x` to be …, got `y` (type)" error; the caller adds file and app.
 */
export function coerceField(field: FieldDef, value: unknown, key = field.key): unknown {
  switch (field.type) {
    case 'any':
      return value;
    case 'string':
      if (typeof value === 'string' && value.length > 0) return value;
      if (typeof value === 'number') return String(value);
      throw invalidValue(key, 'a non-empty string', value);
    case 'boolean':
      return coerceBoolean(key, value);
    case 'integer': {
      const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
      if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
      throw invalidValue(key, 'a non-negative whole number', value);
    }
    case 'duration':
      return parseDuration(value, key, LONG_TIMERS.has(field.key) ? Infinity : undefined);
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
    case 'env':
      return coerceEnv(key, value);
    case 'instances':
      return coerceInstances(key, value);
    case 'cron':
      return coerceCron(key, value);
    case 'health':
      return coerceHealth(key, value);
    case 'depends':
      return coerceDependsOn(key, value);
    case 'hooks':
      return coerceHooks(key, value);
    case 'watch':
      if (typeof value === 'boolean' || value === 'true' || value === 'false') return coerceBoolean(key, value);
      if (typeof value === 'string' && value.length > 0) return [value];
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
      throw invalidValue(key, '`true`, `false` or a list of paths', value);
  }
}

function coerceBoolean(key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  throw invalidValue(key, '`true` or `false`', value);
}

// Values are stringified because that is all a process environment can hold; an object or a
// list becomes its JSON text, as PM2 does (apps JSON.parse it back).
function coerceEnv(key: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(key, 'an object of NAME: value', value);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

// PM2 accepts a count, `max` (or 0: one per CPU) and -n (CPUs minus n); kept as given for now.
function coerceInstances(key: string, value: unknown): number | 'max' {
  if (value === 'max') return 'max';
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && Math.abs(n) <= MAX_INSTANCES) return n;
  throw invalidValue(key, `a whole number (at most ${MAX_INSTANCES}) or \`max\``, value);
}
