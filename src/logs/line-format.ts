import type { LogRecord, LogStream } from '../protocol/logs.js';

type Part = string | ((d: Date) => string);

const TOKEN = /\[([^\]]*)\]|YYYY|YY|MM|DD|HH|mm|ss|SSS|ZZ|Z/g;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function offset(d: Date, separator: string): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${separator}${pad(abs % 60)}`;
}

const TOKENS: Record<string, (d: Date) => string> = {
  YYYY: (d) => pad(d.getFullYear(), 4),
  YY: (d) => pad(d.getFullYear() % 100),
  MM: (d) => pad(d.getMonth() + 1),
  DD: (d) => pad(d.getDate()),
  HH: (d) => pad(d.getHours()),
  mm: (d) => pad(d.getMinutes()),
  ss: (d) => pad(d.getSeconds()),
  SSS: (d) => pad(d.getMilliseconds(), 3),
  Z: (d) => offset(d, ':'),
  ZZ: (d) => offset(d, ''),
};

/**
 * Compiles a moment-style pattern (the tokens PM2 users put in `log_date_format`: YYYY YY MM DD
 * HH mm ss SSS Z ZZ, `[literal]` escapes) into a formatter of local time. `null` = ISO 8601 in
 * UTC, which sorts and parses without knowing the machine's zone.
 */
export function compileDateFormat(pattern: string | null): (ms: number) => string {
  if (pattern === null) return (ms) => new Date(ms).toISOString();
  const parts: Part[] = [];
  let last = 0;
  for (const m of pattern.matchAll(TOKEN)) {
    const index = m.index ?? 0;
    if (index > last) parts.push(pattern.slice(last, index));
    const literal = m[1];
    parts.push(literal !== undefined ? literal : (TOKENS[m[0]] ?? m[0]));
    last = index + m[0].length;
  }
  if (last < pattern.length) parts.push(pattern.slice(last));
  return (ms) => {
    const d = new Date(ms);
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : part(d);
    return out;
  };
}

/** Formats one time the same way everywhere (CLI `--timestamp` uses it too). */
export function formatDate(ms: number, pattern: string | null): string {
  return compileDateFormat(pattern)(ms);
}

/**
 * The `--time` prefix, `<time>: ` as PM2 writes it. The formatted bytes are cached per
 * millisecond: a fast writer's lines mostly share their chunk's arrival time.
 */
export function createTimePrefix(pattern: string | null): (ms: number) => Buffer {
  const format = compileDateFormat(pattern);
  let cachedMs = Number.NaN;
  let cached = Buffer.alloc(0);
  return (ms) => {
    if (ms !== cachedMs) {
      cachedMs = ms;
      cached = Buffer.from(`${format(ms)}: `);
    }
    return cached;
  };
}

/** Matches the default (ISO) `--time` prefix, so readers can recover a raw line's time. */
export const ISO_PREFIX = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z): /;

/**
 * A formatter of JSON lines (`--log-type json`): keys in a fixed order, `time` in ISO 8601 (UTC)
 * for humans and tools, turned back into milliseconds by `parseJsonLine`. The time string and the
 * app name's JSON are cached, since consecutive records mostly share them.
 */
export function createJsonLineFormatter(): (record: LogRecord) => string {
  let cachedMs = Number.NaN;
  let iso = '';
  let cachedApp: string | null = null;
  let appJson = '""';
  return (r) => {
    if (r.time !== cachedMs) {
      cachedMs = r.time;
      iso = new Date(r.time).toISOString();
    }
    if (r.app !== cachedApp) {
      cachedApp = r.app;
      appJson = JSON.stringify(r.app);
    }
    const id = Number.isFinite(r.id) ? String(r.id) : 'null';
    return `{"time":"${iso}","app":${appJson},"id":${id},"stream":${JSON.stringify(r.stream)},"message":${JSON.stringify(r.message)}}\n`;
  };
}

/** One JSON line, newline included. */
export const formatJsonLine: (record: LogRecord) => string = createJsonLineFormatter();

/** The record of one JSON log line, or null when the line is not one (e.g. written before json was on). */
export function parseJsonLine(line: string): LogRecord | null {
  if (!line.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const time = typeof v.time === 'string' ? Date.parse(v.time) : typeof v.time === 'number' ? v.time : Number.NaN;
  if (!Number.isFinite(time) || typeof v.message !== 'string') return null;
  const stream: LogStream = v.stream === 'err' ? 'err' : 'out';
  return {
    time,
    app: typeof v.app === 'string' ? v.app : '',
    id: typeof v.id === 'number' ? v.id : -1,
    stream,
    message: v.message,
  };
}
