import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A log file's archives (oldest first, by their sortable stamp) followed by the live file. */
export function logFiles(file: string): string[] {
  const dir = dirname(file);
  const base = basename(file);
  const archives = readdirSync(dir)
    .filter((n) => n.startsWith(`${base}.`) && !n.endsWith('.tmp'))
    .sort()
    .map((n) => join(dir, n));
  return [...archives, file];
}

/**
 * The whole text of a log across its archives and the live file, in order. A rotation between
 * listing and reading would hide an archive, so the read is repeated until the list is stable.
 */
export function readAllLogText(file: string): string {
  for (;;) {
    const before = logFiles(file);
    const text = readFiles(before);
    if (logFiles(file).join('\n') === before.join('\n')) return text;
  }
}

function readFiles(files: string[]): string {
  return files
    .map((f) => {
      try {
        const data = readFileSync(f);
        return (f.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
      } catch {
        return '';
      }
    })
    .join('');
}

export function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Asserts "line 1".."line N" each appear exactly once, in order; returns N. */
export function countNumbered(text: string): { count: number; error: string | null } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  for (let i = 0; i < lines.length; i++) {
    const want = `line ${i + 1}`;
    if (!lines[i]?.endsWith(want)) return { count: i, error: `line ${i + 1}: expected "${want}", found "${lines[i]}"` };
  }
  return { count: lines.length, error: null };
}

/**
 * Numbered lines ("… line N") in order with no duplicates, allowing gaps; reports each gap with
 * the bytes it is missing (each line is `line N\n`).
 */
export function numberedGaps(text: string): {
  count: number;
  last: number;
  gaps: Array<{ after: number; lines: number; bytes: number }>;
  error: string | null;
} {
  const nums = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Number(l.slice(l.lastIndexOf('line ') + 5)));
  const gaps: Array<{ after: number; lines: number; bytes: number }> = [];
  let prev = 0;
  for (const n of nums) {
    if (!Number.isInteger(n) || n <= prev)
      return { count: nums.length, last: prev, gaps, error: `line ${n} after line ${prev}: out of order or duplicated` };
    if (n !== prev + 1) {
      let bytes = 0;
      for (let k = prev + 1; k < n; k++) bytes += `line ${k}\n`.length;
      gaps.push({ after: prev, lines: n - prev - 1, bytes });
    }
    prev = n;
  }
  return { count: nums.length, last: prev, gaps, error: null };
}

/** Waits until a log (with its archives) has stopped growing for 200 ms: the daemon wrote all it read. */
export async function waitDrained(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const size = readAllLogText(file).length;
    if (size !== last) {
      last = size;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 200) return;
    if (Date.now() > deadline) throw new Error(`${file} kept growing for ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
