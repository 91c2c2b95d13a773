import { crc32 } from '../lib/crc32.js';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { writeFailed, writeFully } from './atomic-write.js';
import { checkFileSafe } from './home-check.js';

/** Space written ahead (zeros) when the journal is created, and each time it has to grow. */
export const JOURNAL_RESERVE_BYTES = 256 * 1024;
/** The journal never grows past this: a journal this full means state.json has not been written for long. */
const JOURNAL_MAX_BYTES = 4 * 1024 * 1024;
const MAGIC = 0x4a444e54; // "TNDJ"
const HEADER_BYTES = 16;
/** Per record: length, checksum, generation. */
const RECORD_HEAD_BYTES = 12;

/**
 * The journal of what the daemon is about to do, written before it does it (an operation the
 * user asked for, a spawn, a stop), for what state.json does not hold yet. Emptied after each
 * successful state write.
 *
 * Its space is taken ahead: the file is created with JOURNAL_RESERVE_BYTES of zeros and records
 * are written in place (pwrite into blocks the file already owns), so recording a change never
 * needs a new block and a full disk cannot refuse it. Emptying rewrites the 16-byte header with
 * the next generation (the file is never truncated, which would give its blocks away); a record
 * counts only if its generation is the header's and its checksum holds, so a record cut short by
 * a kill, or left from before the last emptying, is never replayed.
 *
 * Layout: header = magic, version 1, generation, 0 (u32 LE each); then records of
 * length (u32), checksum (CRC-32 over generation + payload), generation (u32),
 * payload (JSON).
 */
export class IntentLog {
  private fd: number | null = null;
  private gen = 1;
  private end = HEADER_BYTES;
  private size = 0;

  constructor(private readonly path: string) {}

  /**
   * Opens (or creates and fills) the journal. Throws E_WRITE_FAILED when it cannot: on a disk
   * that is already full when the first daemon of a home starts.
   */
  private open(): number {
    if (this.fd !== null) return this.fd;
    let fd: number;
    try {
      // Never through a link, never a file another user owns or can write (see home-check.ts).
      checkFileSafe(this.path);
      fd = openSync(this.path, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw writeFailed(this.path, err);
      fd = this.create();
    }
    try {
      const read = readJournal(fd);
      this.size = fstatSync(fd).size;
      if (read === null) {
        // Not a journal (an older tend's file, or damaged): start a fresh one in its space.
        this.gen = 1;
        this.end = HEADER_BYTES;
        if (this.size < JOURNAL_RESERVE_BYTES) this.grow(fd, JOURNAL_RESERVE_BYTES);
        writeFully(fd, header(this.gen), 0);
      } else {
        this.gen = read.gen;
        this.end = read.end;
      }
    } catch (err) {
      closeSync(fd);
      throw writeFailed(this.path, (err as { cause?: unknown }).cause ?? err);
    }
    this.fd = fd;
    return fd;
  }

  private create(): number {
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w+', 0o600);
    try {
      this.grow(fd, JOURNAL_RESERVE_BYTES);
      writeFully(fd, header(1), 0);
      // Renamed into place only once every byte of it is allocated.
      renameSync(tmp, this.path);
    } catch (err) {
      closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
      throw writeFailed(this.path, err);
    }
    return fd;
  }

  /** Allocates the file up to `bytes` by writing zeros (never sparse: ftruncate would not reserve). */
  private grow(fd: number, bytes: number): void {
    const size = fstatSync(fd).size;
    const zeros = Buffer.alloc(64 * 1024);
    for (let at = size; at < bytes; at += zeros.length) writeFully(fd, zeros.subarray(0, Math.min(zeros.length, bytes - at)), at);
    this.size = Math.max(size, bytes);
  }

  /** Makes sure the journal exists with its space reserved (done when a daemon starts); throws E_WRITE_FAILED. */
  reserve(): void {
    this.open();
  }

  /** Throws E_WRITE_FAILED when the entry could not be recorded (nothing of it counts then). */
  append(entry: object): void {
    const fd = this.open();
    const payload = Buffer.from(JSON.stringify(entry), 'utf8');
    const record = Buffer.alloc(RECORD_HEAD_BYTES + payload.length);
    record.writeUInt32LE(payload.length, 0);
    record.writeUInt32LE(checksum(this.gen, payload), 4);
    record.writeUInt32LE(this.gen, 8);
    payload.copy(record, RECORD_HEAD_BYTES);
    try {
      // What follows the record must not pass for a record of this generation: the zero length
      // after it ends the reading (the reserved space is zeros; an old generation's record fails
      // the generation check).
      const need = this.end + record.length + RECORD_HEAD_BYTES;
      if (need > this.size) {
        if (need > JOURNAL_MAX_BYTES)
          throw Object.assign(
            new Error(`the journal is full (${JOURNAL_MAX_BYTES} bytes): state.json has not been written for a long time`),
            { code: 'ENOSPC' },
          );
        this.grow(fd, Math.min(JOURNAL_MAX_BYTES, Math.max(need, this.size + JOURNAL_RESERVE_BYTES)));
      }
      writeFully(fd, record, this.end);
    } catch (err) {
      throw writeFailed(this.path, err);
    }
    this.end += record.length;
  }

  /** Everything in it is now in state.json: the next generation starts at the top. */
  clear(): void {
    if (this.end === HEADER_BYTES && this.fd !== null) return;
    try {
      const fd = this.open();
      writeFully(fd, header(this.gen + 1), 0);
      this.gen += 1;
      this.end = HEADER_BYTES;
    } catch {
      // Stale entries are harmless: they name what the state file also holds.
    }
  }

  close(): void {
    if (this.fd !== null)
      try {
        closeSync(this.fd);
      } catch {
        /* closed */
      }
    this.fd = null;
  }
}

/** The journal's entries, oldest first (none when it does not exist or is not a journal). */
export function readIntents(path: string): unknown[] {
  let fd: number;
  try {
    checkFileSafe(path);
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return [];
  }
  try {
    return readJournal(fd)?.entries ?? [];
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
}

/** An older tend's journal (one JSON object per line); its lines cut by a kill are skipped. */
export function readLegacyIntents(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* a partial last line */
    }
  }
  return out;
}

function readJournal(fd: number): { gen: number; end: number; entries: unknown[] } | null {
  const size = fstatSync(fd).size;
  if (size < HEADER_BYTES) return null;
  const data = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, data, got, size - got, got);
    if (n <= 0) break;
    got += n;
  }
  if (data.readUInt32LE(0) !== MAGIC || data.readUInt32LE(4) !== 1) return null;
  const gen = data.readUInt32LE(8);
  const entries: unknown[] = [];
  let at = HEADER_BYTES;
  while (at + RECORD_HEAD_BYTES <= got) {
    const len = data.readUInt32LE(at);
    if (len === 0 || at + RECORD_HEAD_BYTES + len > got || data.readUInt32LE(at + 8) !== gen) break;
    const payload = data.subarray(at + RECORD_HEAD_BYTES, at + RECORD_HEAD_BYTES + len);
    if (data.readUInt32LE(at + 4) !== checksum(gen, payload)) break;
    try {
      entries.push(JSON.parse(payload.toString('utf8')));
    } catch {
      break;
    }
    at += RECORD_HEAD_BYTES + len;
  }
  return { gen, end: at, entries };
}

function header(gen: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt32LE(1, 4);
  b.writeUInt32LE(gen >>> 0, 8);
  return b;
}

function checksum(gen: number, payload: Buffer): number {
  const g = Buffer.alloc(4);
  g.writeUInt32LE(gen >>> 0, 0);
  return crc32(g, payload);
}
