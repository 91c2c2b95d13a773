import type { FileHandle } from 'node:fs/promises';
import type { LogRecord, LogSource } from '../protocol/logs.js';
import { listArchives } from './archive-names.js';
import { ISO_PREFIX, parseJsonLine } from './line-format.js';

/** zlib loads only when a compressed archive must be read. */
async function gunzipAsync(data: Buffer): Promise<Buffer> {
  const { gunzip } = await import('node:zlib');
  return new Promise((resolve, reject) => gunzip(data, (err, out) => (err ? reject(err) : resolve(out))));
}
// node:fs/promises is imported where it is used, as everywhere in src/: loaded at start it costs the
// daemon ~0.5 MB RSS (readline, stream helpers), and a daemon serving no log reads never needs it.
const NL = 0x0a;
const BLOCK = 64 * 1024;

/** One line read back from a log, with the time of the file it came from (live: mtime; archive: its stamp). */
export interface TailLine {
  text: string;
  fileTime: number;
}

interface Piece {
  buf: Buffer;
  time: number;
}

/**
 * The last `count` lines of a log, across the live file and its archives as one byte stream
 * (a line that rotation split across two files comes back whole). Reads backwards in blocks and
 * stops as soon as it has enough; a `.gz` archive is gunzipped whole (archives are bounded by
 * the size limit). A final line without its newline yet is included.
 */
export async function tailLines(file: string, count: number): Promise<TailLine[]> {
  if (count <= 0) return [];
  const pieces: Piece[] = []; // newest first
  let newlines = 0;
  // Open the live file before listing archives: if a rotation happens in between, the newest
  // archive is the file already open, recognised by its inode and not read twice.
  const live = await (await import('node:fs/promises')).open(file, 'r').catch(() => null);
  let liveIno = -1;
  if (live !== null) {
    try {
      const st = await live.stat();
      liveIno = st.ino;
      newlines = await readBackward(live, st.size, Math.round(st.mtimeMs), pieces, newlines, count);
    } finally {
      await live.close();
    }
  }
  const archives = (await listArchives(file)).reverse();
  for (const a of archives) {
    if (newlines > count) break;
    if (a.compressed) {
      const buf = await (
        await import('node:fs/promises')
      )
        .readFile(a.path)
        .then((b) => gunzipAsync(b))
        .catch(() => null);
      if (buf === null) continue;
      pieces.push({ buf, time: a.stamp });
      newlines += countNewlines(buf);
      continue;
    }
    const fh = await (await import('node:fs/promises')).open(a.path, 'r').catch(() => null);
    if (fh === null) continue;
    try {
      const st = await fh.stat();
      if (st.ino !== liveIno) newlines = await readBackward(fh, st.size, a.stamp, pieces, newlines, count);
    } finally {
      await fh.close();
    }
  }
  return lastLines(pieces.reverse(), count);
}

/** Reads blocks from the end until more than `need` newlines are known; returns the new total. */
async function readBackward(fh: FileHandle, size: number, time: number, pieces: Piece[], newlines: number, need: number): Promise<number> {
  let pos = size;
  let total = newlines;
  while (pos > 0 && total <= need) {
    const len = Math.min(BLOCK, pos);
    pos -= len;
    const buf = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    const got = buf.subarray(0, bytesRead);
    pieces.push({ buf: got, time });
    total += countNewlines(got);
  }
  return total;
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, i + 1)) n += 1;
  return n;
}

/** Splits the bytes (oldest piece first) and keeps the last `count` lines, each with its piece's time. */
function lastLines(pieces: Piece[], count: number): TailLine[] {
  const all = Buffer.concat(pieces.map((p) => p.buf));
  if (all.length === 0) return [];
  const ends: number[] = [];
  let acc = 0;
  for (const p of pieces) ends.push((acc += p.buf.length));
  const timeAt = (offset: number): number => {
    for (let i = 0; i < pieces.length; i += 1) if (offset < (ends[i] ?? 0)) return pieces[i]?.time ?? 0;
    return pieces[pieces.length - 1]?.time ?? 0;
  };
  const lines: TailLine[] = [];
  let end = all[all.length - 1] === NL ? all.length - 1 : all.length;
  while (lines.length < count) {
    const nl = end > 0 ? all.lastIndexOf(NL, end - 1) : -1;
    lines.push({ text: all.toString('utf8', nl + 1, end), fileTime: timeAt(Math.min(end, all.length - 1)) });
    if (nl < 0) break;
    end = nl;
  }
  return lines.reverse();
}

/**
 * A line read back as a record. JSON lines carry their own time and stream. A raw line's time is
 * its `--time` prefix when that is the default ISO format (the prefix is then removed, as in
 * live records); otherwise it has no time of its own and gets its file's time, so raw lines of
 * one file keep their file order and sort among other apps' lines by when their file was written.
 */
export function lineToRecord(line: TailLine, source: LogSource): LogRecord {
  if (source.type === 'json') {
    const r = parseJsonLine(line.text);
    if (r !== null) return { ...r, app: r.app === '' ? source.app : r.app, id: r.id < 0 ? source.id : r.id };
  }
  const m = ISO_PREFIX.exec(line.text);
  const time = m?.[1] !== undefined ? Date.parse(m[1]) : line.fileTime;
  const message = m !== null ? line.text.slice(m[0].length) : line.text;
  return { time, app: source.app, id: source.id, stream: source.stream, message };
}

/**
 * The rows whose logs to read or follow, one per app: every instance of a pooled app (cluster,
 * `--listen`, `--proxy`) answers `logs.sources` and `logs.subscribe` with its app's shared files
 * and output, so reading each instance's row would print every line once per instance.
 */
export function oneRowPerApp<T extends { id: number; instances?: ReadonlyArray<{ id: number }> }>(rows: Iterable<T>): T[] {
  const covered = new Set<number>();
  const out: T[] = [];
  for (const row of rows) {
    if (covered.has(row.id)) continue;
    covered.add(row.id);
    for (const i of row.instances ?? []) covered.add(i.id);
    out.push(row);
  }
  return out;
}

/** The last `count` records of one log file. */
export async function readRecords(source: LogSource, count: number): Promise<LogRecord[]> {
  return (await tailLines(source.file, count)).map((line) => lineToRecord(line, source));
}

/**
 * Interleaves several logs' records in time order (`tend logs a b`). Each list keeps its own
 * order (a k-way merge, never a sort), so lines without a reliable time stay in file order;
 * equal times go to the earlier list first.
 */
export function mergeByTime(lists: readonly (readonly LogRecord[])[]): LogRecord[] {
  const heads = lists.map(() => 0);
  const out: LogRecord[] = [];
  for (;;) {
    let best = -1;
    let bestTime = Number.POSITIVE_INFINITY;
    for (let i = 0; i < lists.length; i += 1) {
      const r = lists[i]?.[heads[i] ?? 0];
      if (r !== undefined && (best < 0 || r.time < bestTime)) {
        best = i;
        bestTime = r.time;
      }
    }
    if (best < 0) return out;
    const r = lists[best]?.[heads[best] ?? 0];
    if (r !== undefined) out.push(r);
    heads[best] = (heads[best] ?? 0) + 1;
  }
}
