import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * A log and its rotated archives, oldest first: every `<log>.<suffix>` in the log's directory
 * (tend names archives `<log>.<UTC stamp>[.gz]`, so lexical order is time order), then the live file.
 */
export function logFiles(live: string): string[] {
  const prefix = `${basename(live)}.`;
  let entries: string[] = [];
  try {
    entries = readdirSync(dirname(live));
  } catch {
    return [live];
  }
  const archives = entries.filter((e) => e.startsWith(prefix) && !e.endsWith('.tmp')).sort();
  return [...archives.map((e) => join(dirname(live), e)), live];
}

/** Total bytes of a log and its archives. */
export function totalSize(live: string): number {
  return logFiles(live).reduce((sum, f) => sum + fileSize(f), 0);
}

/** The last complete line of a log, looking into the newest archive when the live file is empty. */
export function lastLogLine(live: string): string {
  const files = logFiles(live);
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i] as string;
    if (file.endsWith('.gz')) return '';
    const line = lastLine(file);
    if (line !== '') return line;
  }
  return '';
}

function readLog(path: string): string {
  const raw = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1');
}

/** Size of a file in bytes, 0 when it does not exist yet. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The last complete line of a file (without its newline), or '' when there is none. */
export function lastLine(path: string, tailBytes = 512): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(path).size;
    const length = Math.min(size, tailBytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const text = buf.toString('latin1');
    const end = text.lastIndexOf('\n');
    if (end < 0) return '';
    return text.slice(text.lastIndexOf('\n', end - 1) + 1, end);
  } finally {
    closeSync(fd);
  }
}

/** Where a line's 7-digit sequence number is (any prefix a tool adds is skipped). */
const NUMBERED = /(\d{7}) /;

export function lineNumber(line: string): number | null {
  const match = NUMBERED.exec(line);
  return match?.[1] !== undefined ? Number(match[1]) : null;
}

export interface LineCheck {
  /** Numbered lines found. */
  lines: number;
  /** Distinct numbers found. */
  distinct: number;
  /** Numbers in [min, max] (or [0, expected) when given) that are missing. */
  lost: number;
  /** Lines whose number had been seen already. */
  duplicates: number;
  /** Lines that went backwards (a number lower than the previous one). */
  outOfOrder: number;
  first: number | null;
  last: number | null;
}

/** Reads a numbered-lines log (with its archives) and counts missing, duplicated and reordered lines. */
export function checkNumberedLines(live: string, expected?: number): LineCheck {
  const text = logFiles(live).map(readLog).join('');
  const seen = new Uint8Array(expected ?? 10_000_000);
  let lines = 0;
  let distinct = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let first: number | null = null;
  let last: number | null = null;
  let min = Infinity;
  let max = -Infinity;
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    const n = lineNumber(text.slice(start, Math.min(end, start + 64)));
    start = end + 1;
    if (n === null || n >= seen.length) continue;
    lines++;
    if (seen[n]) duplicates++;
    else {
      seen[n] = 1;
      distinct++;
    }
    if (last !== null && n < last) outOfOrder++;
    first ??= n;
    last = n;
    min = Math.min(min, n);
    max = Math.max(max, n);
  }
  const span = expected ?? (distinct > 0 ? max - min + 1 : 0);
  return { lines, distinct, lost: span - distinct, duplicates, outOfOrder, first, last };
}
