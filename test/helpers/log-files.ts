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

/** The whole text of a log across its archives and the live file, in order. */
export function readAllLogText(file: string): string {
  return logFiles(file)
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
