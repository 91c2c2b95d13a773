import { invalidValue } from '../errors.js';
import { parseDuration } from '../lib/duration.js';
import type { HealthProbe, HealthSpec } from '../protocol/app-spec.js';

/** Defaults of a health check's timing (Docker's names; shorter interval, as apps are local). */
export const HEALTH_DEFAULTS = { intervalMs: 10_000, timeoutMs: 5_000, retries: 3, startPeriodMs: 0 } as const;

const EXPECTED =
  'a health check: `{ http: URL }`, `{ tcp: PORT }` or `{ exec: CMD }` (plus interval, timeout, retries, start_period), or the string `http://…`, `tcp:PORT` or `exec:CMD`';
const OBJECT_KEYS = new Set(['http', 'tcp', 'exec', 'interval', 'timeout', 'retries', 'start_period']);

/** Validates the `health` key of a config file or the `--health` flag into a HealthSpec. */
export function coerceHealth(key: string, value: unknown): HealthSpec {
  if (typeof value === 'string' || typeof value === 'number') return { probe: probeFromString(key, String(value)), ...HEALTH_DEFAULTS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(key, EXPECTED, value);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!OBJECT_KEYS.has(k) && o[k] !== undefined)
      throw invalidValue(`${key}.${k}`, `one of ${[...OBJECT_KEYS].map((x) => `\`${x}\``).join(', ')} (unknown key)`, k);
  }
  const kinds = (['http', 'tcp', 'exec'] as const).filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) throw invalidValue(key, 'exactly one of `http`, `tcp` or `exec`', value);
  const kind = kinds[0] as 'http' | 'tcp' | 'exec';
  const raw = o[kind];
  let probe: HealthProbe;
  if (kind === 'http') probe = httpProbe(`${key}.http`, raw);
  else if (kind === 'tcp') probe = tcpProbe(`${key}.tcp`, raw);
  else if (typeof raw === 'string' && raw.trim().length > 0) probe = { type: 'exec', command: raw };
  else throw invalidValue(`${key}.exec`, 'a command line', raw);
  const intervalMs = o.interval === undefined ? HEALTH_DEFAULTS.intervalMs : parseDuration(o.interval, `${key}.interval`);
  const timeoutMs = o.timeout === undefined ? HEALTH_DEFAULTS.timeoutMs : parseDuration(o.timeout, `${key}.timeout`);
  const startPeriodMs = o.start_period === undefined ? HEALTH_DEFAULTS.startPeriodMs : parseDuration(o.start_period, `${key}.start_period`);
  if (intervalMs < 100) throw invalidValue(`${key}.interval`, 'at least 100ms', o.interval);
  if (timeoutMs < 10) throw invalidValue(`${key}.timeout`, 'at least 10ms', o.timeout);
  const retries = o.retries === undefined ? HEALTH_DEFAULTS.retries : Number(o.retries);
  if (!Number.isInteger(retries) || retries < 1 || retries > 1000)
    throw invalidValue(`${key}.retries`, 'a whole number from 1 to 1000', o.retries);
  return { probe, intervalMs, timeoutMs, retries, startPeriodMs };
}

function probeFromString(key: string, text: string): HealthProbe {
  const t = text.trim();
  if (/^https?:\/\//i.test(t)) return httpProbe(key, t);
  if (/^tcp:/i.test(t)) return tcpProbe(key, t.slice(4));
  if (/^\d+$/.test(t)) return tcpProbe(key, t);
  if (/^exec:/i.test(t) && t.slice(5).trim().length > 0) return { type: 'exec', command: t.slice(5).trim() };
  throw invalidValue(key, EXPECTED, text);
}

function httpProbe(key: string, raw: unknown): HealthProbe {
  if (typeof raw === 'string') {
    try {
      const u = new URL(raw);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0) return { type: 'http', url: u.href };
    } catch {
      /* reported below */
    }
  }
  throw invalidValue(key, 'an http:// or https:// URL', raw);
}

/** `3000`, `"3000"`, `"127.0.0.1:3000"`, `"[::1]:3000"`. The host defaults to 127.0.0.1. */
function tcpProbe(key: string, raw: unknown): HealthProbe {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const m = /^(?:\[([0-9a-fA-F:.]+)\]:|([A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) throw invalidValue(key, 'a port (1-65535) or HOST:PORT', raw);
  return { type: 'tcp', host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** One line for humans: `http http://127.0.0.1:3000/health every 10s`. */
export function describeProbe(probe: HealthProbe): string {
  switch (probe.type) {
    case 'http':
      return `GET ${probe.url}`;
    case 'tcp':
      return `tcp ${probe.host.includes(':') ? `[${probe.host}]` : probe.host}:${probe.port}`;
    case 'exec':
      return `exec ${probe.command}`;
  }
}
