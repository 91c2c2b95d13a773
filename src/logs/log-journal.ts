import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';

/** Where a log file ended before a write (ino -1: it did not exist). */
export interface FileEnd {
  path: string;
  ino: number;
  size: number;
}

/** The spool whose bytes a write takes (see FifoSpool): its inode and size identify that write. */
export interface SpoolMark {
  path: string;
  ino: number;
  size: number;
}

interface Entry {
  seq: number;
  spool: SpoolMark | null;
  files: FileEnd[];
  /** Rotations during the write: [live path, archive], in order. */
  rotations: [string, string][];
}

/** Two slots, written in turn: a record torn by a crash leaves the other one whole. */
const SLOT = 64 * 1024;
const HEADER = 8;

/**
 * The daemon's log write journal: before the bytes of a spool go to the log files, it records
 * the spool (inode, size) and where each file ended; a rotation during the write is recorded
 * before its rename, and the write's end once the spool is emptied. The daemon writes one spool at
 * a time, so only the last record can describe an unfinished write. A new daemon whose spool still matches that record (same inode, same
 * size: it was not emptied) undoes the write (each file back to its recorded end, rotations
 * renamed back) and replays the spool, so every byte lands exactly once.
 * Each record is one pwrite into a page of the file: a `kill -9` cannot tear it.
 */
export class LogJournal {
  private fd: number | null = null;
  private seq = 0;
  private current: Entry | null = null;
  private failed = false;

  constructor(
    private readonly path: string,
    private readonly onNotice: (message: string) => void,
  ) {}

  /** Undoes the write a killed daemon left unfinished; returns what it did (for the daemon log). */
  recover(): string[] {
    const last = this.readLast();
    this.seq = last?.seq ?? 0;
    // Opened (its blocks allocated) now, before a flood can fill the filesystem it shares with the spools.
    try {
      this.fd ??= openJournal(this.path);
    } catch (err) {
      this.fail(err as Error);
    }
    if (last?.spool === null || last === null || !spoolUnchanged(last.spool)) return [];
    const done: string[] = [];
    for (const file of last.files)
      done.push(
        undoFile(
          file,
          last.rotations.filter(([p]) => p === file.path).map(([, a]) => a),
        ),
      );
    this.record({ seq: this.seq + 1, spool: null, files: [], rotations: [] });
    return done;
  }

  /** Before a spool's bytes go to the files. */
  begin(spool: SpoolMark, files: FileEnd[]): void {
    this.record({ seq: this.seq + 1, spool, files, rotations: [] });
  }

  /**
   * After the spool was emptied (or replaced): the write is over. Without this, a spool refilled
   * to the same size before the next record would look like the finished write, and be undone.
   */
  end(): void {
    if (this.current?.spool === null) return;
    this.record({ seq: this.seq + 1, spool: null, files: [], rotations: [] });
  }

  /** Before a rotation renames `path` to `archive` during the current write. */
  rotating(path: string, archive: string): void {
    const cur = this.current;
    if (cur === null || cur.spool === null) return;
    this.record({ ...cur, seq: this.seq + 1, rotations: [...cur.rotations, [path, archive]] });
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private record(entry: Entry): void {
    this.seq = entry.seq;
    this.current = entry;
    const body = Buffer.from(JSON.stringify(entry));
    if (body.length + HEADER > SLOT) return this.fail(new Error('record too long'));
    const buf = Buffer.allocUnsafe(HEADER + body.length);
    buf.writeUInt32LE(body.length, 0);
    buf.writeUInt32LE(fnv1a(body), 4);
    body.copy(buf, HEADER);
    try {
      this.fd ??= openJournal(this.path);
      const at = (entry.seq % 2) * SLOT;
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, at + off);
      this.failed = false;
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.onNotice(`cannot write the log journal ${this.path}: ${err.message}; a kill -9 of the daemon may now lose or double log bytes`);
  }

  private readLast(): Entry | null {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY);
    } catch {
      return null;
    }
    try {
      const size = fstatSync(fd).size;
      let best: Entry | null = null;
      for (const at of [0, SLOT]) {
        if (at + HEADER > size) continue;
        const head = Buffer.alloc(HEADER);
        readSync(fd, head, 0, HEADER, at);
        const len = head.readUInt32LE(0);
        if (len === 0 || len + HEADER > SLOT || at + HEADER + len > size) continue;
        const body = Buffer.alloc(len);
        readSync(fd, body, 0, len, at + HEADER);
        if (fnv1a(body) !== head.readUInt32LE(4)) continue;
        const entry = parseEntry(body.toString('utf8'));
        if (entry !== null && (best === null || entry.seq > best.seq)) best = entry;
      }
      return best;
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Opens the journal with the blocks of both slots allocated, so that no record is refused by a
 * full filesystem once the journal exists (it lives beside the spools, which fill it in a flood).
 * Its own bytes are written back over themselves, holes as zeros: a kill during that write
 * changes nothing. Best effort: on a filesystem already full, records are tried as they come.
 */
function openJournal(path: string): number {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    const st = fstatSync(fd);
    if (st.size >= 2 * SLOT && st.blocks * 512 >= 2 * SLOT) return fd;
    const whole = Buffer.alloc(2 * SLOT);
    for (let off = 0, n = 1; off < whole.length && n > 0; off += n) n = readSync(fd, whole, off, whole.length - off, off);
    for (let off = 0; off < whole.length;) off += writeSync(fd, whole, off, whole.length - off, off);
  } catch {
    /* full already: each record is still tried */
  }
  return fd;
}

function fnv1a(buf: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < buf.length; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193) >>> 0;
  return h;
}

const isMark = (v: unknown): v is FileEnd =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as FileEnd).path === 'string' &&
  Number.isSafeInteger((v as FileEnd).ino) &&
  Number.isSafeInteger((v as FileEnd).size) &&
  (v as FileEnd).size >= 0;

function parseEntry(text: string): Entry | null {
  try {
    const v = JSON.parse(text) as Entry;
    if (!Number.isSafeInteger(v.seq) || !(v.spool === null || isMark(v.spool)) || !Array.isArray(v.files) || !v.files.every(isMark))
      return null;
    if (
      !Array.isArray(v.rotations) ||
      !v.rotations.every((r) => Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'string'))
    )
      return null;
    return v;
  } catch {
    return null;
  }
}

function inoOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/** The recorded spool is still there, unemptied: its write may not have finished. */
function spoolUnchanged(spool: SpoolMark): boolean {
  try {
    const st = statSync(spool.path);
    return st.ino === spool.ino && st.size === spool.size && st.size > 0;
  } catch {
    return false;
  }
}

/**
 * Puts one file back as it was before the write: the file that had the recorded inode (the live
 * path, or the first archive a rotation made of it) is cut back to the recorded size and put back
 * at the live path; files the write created (a new live file, later archives) are deleted.
 */
function undoFile(file: FileEnd, archives: string[]): string {
  const candidates = [file.path, ...archives];
  const original = file.ino === -1 ? undefined : candidates.find((p) => inoOf(p) === file.ino);
  // Without the original and without a rotation, the file at the path is not ours to judge
  // (renamed away by another tool after the kill): leave everything as it is.
  if (original === undefined && file.ino !== -1 && archives.length === 0)
    return `${file.path}: left as it is (not the file the interrupted write began)`;
  for (const p of candidates) {
    if (p === original || !existsSync(p)) continue;
    try {
      unlinkSync(p);
    } catch {
      /* gone */
    }
  }
  if (original === undefined) return `${file.path}: removed what the interrupted write created`;
  try {
    if (original !== file.path) renameSync(original, file.path);
    truncateSync(file.path, file.size);
    return `${file.path}: cut back to ${file.size} bytes`;
  } catch (err) {
    return `${file.path}: could not undo the interrupted write: ${(err as Error).message}`;
  }
}
