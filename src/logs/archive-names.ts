import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** One rotated file of a log: `<file>.<YYYYMMDDTHHmmss.SSS>` (UTC), `.gz` when compressed. */
export interface ArchiveInfo {
  path: string;
  /** Rotation time in ms, from the name; unique per log file. */
  stamp: number;
  compressed: boolean;
}

const STAMP = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)\.(\d{3})(\.gz)?$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The fixed-width UTC stamp: lexical order is time order, so `ls` shows archives in order. */
export function formatStamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

export function archivePath(file: string, stamp: number): string {
  return `${file}.${formatStamp(stamp)}`;
}

/** The archive a directory entry is, for the log file `file`, or null. */
export function parseArchiveName(file: string, entry: string): ArchiveInfo | null {
  const prefix = `${basename(file)}.`;
  if (!entry.startsWith(prefix)) return null;
  const m = STAMP.exec(entry.slice(prefix.length));
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, ms, gz] = m;
  const stamp = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms));
  return { path: join(dirname(file), entry), stamp, compressed: gz !== undefined };
}

/**
 * Archives oldest first. When a crash between "rename .gz.tmp → .gz" and "unlink the plain
 * archive" left both, the plain one is listed (both are complete; plain is cheaper to read).
 */
function collect(file: string, entries: string[]): ArchiveInfo[] {
  const byStamp = new Map<number, ArchiveInfo>();
  for (const entry of entries) {
    const info = parseArchiveName(file, entry);
    if (info === null) continue;
    const seen = byStamp.get(info.stamp);
    if (seen === undefined || seen.compressed) byStamp.set(info.stamp, info);
  }
  return [...byStamp.values()].sort((a, b) => a.stamp - b.stamp);
}

export function listArchivesSync(file: string): ArchiveInfo[] {
  try {
    return collect(file, readdirSync(dirname(file)));
  } catch {
    return [];
  }
}

/** Every archive file of the log, without merging a stamp's plain and `.gz` forms. */
export function scanArchivesSync(file: string, entries?: readonly string[]): ArchiveInfo[] {
  try {
    const found: ArchiveInfo[] = [];
    for (const entry of entries ?? readdirSync(dirname(file))) {
      const info = parseArchiveName(file, entry);
      if (info !== null) found.push(info);
    }
    return found;
  } catch {
    return [];
  }
}

export async function listArchives(file: string): Promise<ArchiveInfo[]> {
  try {
    // fs/promises (and the readline module it pulls in) loads only for readers, not the daemon.
    const { readdir } = await import('node:fs/promises');
    return collect(file, await readdir(dirname(file)));
  } catch {
    return [];
  }
}

/** Leftovers of an interrupted compression (`<archive>.gz.tmp`) of this log file. */
export function listCompressionLeftovers(file: string, entries?: readonly string[]): string[] {
  const prefix = `${basename(file)}.`;
  try {
    return (entries ?? readdirSync(dirname(file)))
      .filter((e) => e.startsWith(prefix) && e.endsWith('.gz.tmp') && STAMP.test(e.slice(prefix.length, -4)))
      .map((e) => join(dirname(file), e));
  } catch {
    return [];
  }
}

// Archive-like entries of log folders by the log file they belong to, from one listing kept for
// a second (LISTING_TTL_MS) or until a rotation here changes the folder.
const listed = new Map<string, { at: number; index: Map<string, string[]> }>();
const LISTING_TTL_MS = 1000;
const ARCHIVE_TAIL = /\.\d{8}T\d{6}\.\d{3}(\.gz)?(\.tmp)?$/;

/**
 * The entries of `file`'s folder that may be archives or leftovers of `file`, indexed by log
 * file, from a listing at most a second old. Opening the logs of 300 apps started together used
 * to list the (growing) logs folder four times per app, then parse every entry for every app:
 * quadratic twice. Only for looking up leftovers of a crash when a log is opened (their names
 * are unique to their log file), never for rotation, which lists the folder itself.
 */
export function logDirEntries(file: string, now = Date.now()): readonly string[] {
  const dir = dirname(file);
  let hit = listed.get(dir);
  if (hit === undefined || now - hit.at >= LISTING_TTL_MS || now < hit.at) {
    const index = new Map<string, string[]>();
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      // No folder: no archives.
    }
    for (const entry of entries) {
      const m = ARCHIVE_TAIL.exec(entry);
      if (m === null) continue;
      const owner = entry.slice(0, m.index);
      const list = index.get(owner);
      if (list === undefined) index.set(owner, [entry]);
      else list.push(entry);
    }
    hit = { at: now, index };
    listed.set(dir, hit);
  }
  return hit.index.get(basename(file)) ?? [];
}

/** A rotation or deletion changed `file`'s folder: the next lookup lists it again. */
export function forgetLogDirEntries(file: string): void {
  listed.delete(dirname(file));
}
