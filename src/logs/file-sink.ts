import { ensureDir } from '../lib/ensure-dir.js';
import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  ftruncateSync,
  open as openAsync,
  openSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ArchiveSet } from './archive-set.js';
import { inBackground } from './background-opens.js';
import type { FileEnd } from './log-journal.js';

export type RotateInterval = 'none' | 'hourly' | 'daily';

export interface FileSinkOptions {
  path: string;
  /** Rotate before the file would pass this size; 0 = no size limit. */
  maxSizeBytes: number;
  rotateInterval: RotateInterval;
  /** Archives kept; older ones are deleted at each rotation. */
  retain: number;
  compress: boolean;
  /** How far a file may pass the limit to keep a line whole (default 65 KiB); longer lines are split across files. */
  lineSlackBytes?: number;
  now?: () => number;
  /** A write problem started (message) or ended (null). */
  onError?: (message: string | null) => void;
  /** Non-fatal problems for the daemon log (an archive could not be compressed or deleted). */
  onNotice?: (message: string) => void;
  /**
   * Open (and create) the file in libuv's thread pool instead of now. Creating a file costs
   * 0.5–0.8 ms of kernel time on some ext4 disks (measured here): for 300 apps started at once
   * that is 600 files and most of a second of a blocked daemon. A write that comes first opens
   * the file on the spot, so nothing is lost or reordered.
   */
  openInBackground?: boolean;
  /** Called before a rotation renames the live file to `archive` (the log journal records it). */
  beforeRotate?: (path: string, archive: string) => void;
  /** The user and group the file belongs to (an app run as another user); absent: the daemon's. */
  owner?: { uid: number; gid: number };
}

const NL = 0x0a;
const RETRY_MS = 1000;
const FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

/** The next local-time hour or midnight after `t`: operators read "daily" on their own clock. */
export function nextBoundary(t: number, interval: RotateInterval): number {
  if (interval === 'none') return Number.POSITIVE_INFINITY;
  const d = new Date(t);
  if (interval === 'hourly') d.setMinutes(60, 0, 0);
  else d.setHours(24, 0, 0, 0);
  return d.getTime();
}

/**
 * The only writer of one log file. Appends synchronously (write-through: bytes are in the
 * kernel before `write` returns, so a `kill -9` of the daemon loses nothing it has read) and
 * rotates by renaming the live file to an archive and opening a new one, at a line boundary.
 * When the file cannot be written, output is dropped (never buffered: memory stays bounded and
 * order stays simple), the error is reported once, and opening is retried at most once a second.
 */
export class FileSink {
  readonly path: string;
  private readonly opts: FileSinkOptions;
  private readonly maxBytes: number;
  private readonly slack: number;
  private readonly now: () => number;
  private readonly archives: ArchiveSet;
  private fd: number | null = null;
  private ino = -1;
  private dev = -1;
  private sizeBytes = 0;
  private lineStart = true;
  private errorMessage: string | null = null;
  private dropped = 0;
  private closed = false;
  /** The first open is under way in the thread pool (openInBackground). */
  private opening = false;
  private nextRetryAt = 0;
  private nextCheckAt = 0;
  private nextRotateAt = Number.POSITIVE_INFINITY;
  private rotateBlockedUntil = 0;
  /** Who wrote last (set by the layer above), so lines of different writers are kept apart. */
  lastWriter: object | null = null;
  /** Set by `plan`: rotate after writing the planned bytes. */
  private rotateAfter = false;

  constructor(opts: FileSinkOptions) {
    this.opts = opts;
    this.path = opts.path;
    this.maxBytes = opts.maxSizeBytes > 0 ? opts.maxSizeBytes : Number.POSITIVE_INFINITY;
    this.slack = opts.lineSlackBytes ?? 65 * 1024;
    this.now = opts.now ?? Date.now;
    this.archives = new ArchiveSet({ path: opts.path, retain: opts.retain, compress: opts.compress, onNotice: (m) => this.notice(m) });
    if (opts.openInBackground === true) this.openLater();
    else this.firstOpen(this.now());
  }

  private firstOpen(now: number): boolean {
    this.opening = false;
    this.archives.recover();
    return this.open(now);
  }

  private openLater(): void {
    this.opening = true;
    // No mkdir -p first (two syscalls per file): a missing folder fails the open, and the
    // synchronous retry below creates it.
    inBackground((finished) =>
      openAsync(this.path, FLAGS, 0o640, (err, fd) => {
        finished();
        if (!this.opening || this.closed) {
          // A write opened the file first, or the sink was closed meanwhile.
          if (err === null) closeSync(fd);
          return;
        }
        if (err !== null) {
          this.firstOpen(this.now());
          return;
        }
        this.opening = false;
        this.archives.recover();
        this.adopt(fd, this.now());
      }),
    );
  }

  get size(): number {
    return this.sizeBytes;
  }

  get error(): string | null {
    return this.errorMessage;
  }

  /** True when the file ends with a newline (or is empty). */
  get atLineStart(): boolean {
    return this.lineStart;
  }

  /** True when the file (opened now if its open is still under way) ends in the middle of a line. */
  endsMidLine(): boolean {
    if (this.opening) this.firstOpen(this.now());
    return this.fd !== null && !this.lineStart;
  }

  /** Where the file ends now, read from the file itself (another writer may share it); ino -1 = no file. */
  end(): FileEnd {
    let st: { ino: number; size: number } = { ino: -1, size: 0 };
    try {
      st = this.fd !== null ? fstatSync(this.fd) : statSync(this.path);
    } catch {
      /* no file */
    }
    return { path: this.path, ino: st.ino, size: st.size };
  }

  /** Bytes that could not be written since the sink was created. */
  get droppedBytes(): number {
    return this.dropped;
  }

  write(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    const now = this.now();
    if (this.opening) this.firstOpen(now);
    if (this.fd === null) {
      if (now < this.nextRetryAt || !this.open(now)) {
        this.dropped += data.length;
        return;
      }
    } else if (now >= this.nextCheckAt) {
      this.checkIdentity(now);
    }
    let off = 0;
    while (off < data.length && this.fd !== null) {
      const n = this.plan(data, off, now);
      const rotate = this.rotateAfter;
      off += this.append(data, off, off + n, now);
      if (this.fd !== null && rotate) this.rotate(now);
    }
    this.dropped += data.length - off;
  }

  /** Time-based rotation and health checks; the daemon calls it from a timer (cheap when nothing is due). */
  checkTime(now = this.now()): void {
    if (this.closed || this.opening) return;
    if (this.fd === null) {
      if (now >= this.nextRetryAt) this.open(now);
      return;
    }
    if (now >= this.nextCheckAt) this.checkIdentity(now);
    if (this.fd === null || now < this.nextRotateAt) return;
    if (this.sizeBytes === 0) this.nextRotateAt = nextBoundary(now, this.opts.rotateInterval);
    else if (this.lineStart) this.rotate(now);
    // Mid-line: `write` rotates when the line ends.
  }

  /** Closes and opens the path again (after an external logrotate renamed the file). */
  reopen(): boolean {
    if (this.closed) return false;
    if (this.opening) return this.firstOpen(this.now());
    this.closeFd();
    return this.open(this.now());
  }

  /** Empties the live file in place and deletes every archive; returns the files touched. */
  flush(): number {
    if (this.closed) return 0;
    let touched = this.archives.deleteAll();
    const now = this.now();
    if (this.opening) this.firstOpen(now);
    if (this.fd === null && now >= this.nextRetryAt) this.open(now);
    if (this.fd !== null) {
      try {
        // Safe while the app writes: this sink is the file's only writer, and O_APPEND puts
        // the next write at the new end, so there is no copy and no window to lose lines in.
        ftruncateSync(this.fd, 0);
        this.sizeBytes = 0;
        this.lineStart = true;
        this.nextRotateAt = nextBoundary(now, this.opts.rotateInterval);
        touched += 1;
      } catch (err) {
        this.fail(err, now);
      }
    }
    return touched;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeFd();
  }

  /** Resolves when pending compressions are done (tests; a clean shutdown). */
  idle(): Promise<void> {
    return this.archives.idle();
  }

  /**
   * How many bytes from `off` to write before the next rotation (sets `rotateAfter`). Rotation
   * happens at a line boundary: the last newline that fits; if none fits, the line may pass
   * the limit by up to `slack` to stay whole; a line longer than that is split and goes on in
   * the next file. A due time rotation is a limit equal to the current size.
   */
  private plan(data: Buffer, off: number, now: number): number {
    const len = data.length - off;
    this.rotateAfter = false;
    if (now < this.rotateBlockedUntil) return len;
    let timeDue = now >= this.nextRotateAt;
    if (timeDue && this.sizeBytes === 0) {
      this.nextRotateAt = nextBoundary(now, this.opts.rotateInterval);
      timeDue = false;
    }
    const limit = timeDue ? this.sizeBytes : this.maxBytes;
    const fit = limit - this.sizeBytes;
    if (len <= fit) return len;
    this.rotateAfter = true;
    if (fit > 0) {
      const i = data.lastIndexOf(NL, off + fit - 1);
      if (i >= off) return i + 1 - off;
    }
    if (this.sizeBytes > 0 && this.lineStart) return 0;
    const j = data.indexOf(NL, off);
    const end = j < 0 ? data.length : j + 1;
    if (this.sizeBytes + (end - off) - limit <= this.slack) {
      // Keep the line whole; the next write (or checkTime) rotates at its end.
      this.rotateAfter = false;
      return end - off;
    }
    return Math.max(fit, 0);
  }

  /** Writes data[start, end) fully; returns the bytes written (fewer only on error). */
  private append(data: Buffer, start: number, end: number, now: number): number {
    const fd = this.fd;
    if (fd === null || end <= start) return 0;
    let off = start;
    try {
      while (off < end) off += writeSync(fd, data, off, end - off);
    } catch (err) {
      this.sizeBytes += off - start;
      this.fail(err, now);
      return off - start;
    }
    this.sizeBytes += end - start;
    this.lineStart = data[end - 1] === NL;
    return end - start;
  }

  /** Rename the live file to a new archive, open a fresh one, prune, queue compression. */
  private rotate(now: number): void {
    const archive = this.archives.nextPath(now);
    let archived = true;
    this.opts.beforeRotate?.(this.path, archive);
    try {
      renameSync(this.path, archive);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.notice(`could not rotate ${this.path}: ${(err as Error).message}; the file grows until rotation works`);
        this.rotateBlockedUntil = now + RETRY_MS;
        return;
      }
      archived = false; // the live file vanished: nothing to archive, just open a new one
    }
    this.closeFd();
    this.open(now);
    if (archived) this.archives.added(archive);
  }

  private open(now: number): boolean {
    try {
      ensureDir(dirname(this.path));
      return this.adopt(openSync(this.path, FLAGS, 0o640), now);
    } catch (err) {
      this.fail(err, now);
      return false;
    }
  }

  /** Takes `fd` (the path just opened) as the live file; false (fd closed) if it cannot be read. */
  private adopt(fd: number, now: number): boolean {
    try {
      if (this.opts.owner !== undefined) fchownSync(fd, this.opts.owner.uid, this.opts.owner.gid);
      const st = fstatSync(fd);
      this.fd = fd;
      this.ino = st.ino;
      this.dev = st.dev;
      this.sizeBytes = st.size;
      this.lineStart = st.size === 0 || lastByte(this.path, st.size) === NL;
      // A file last written in an earlier period (the daemon was down at midnight) rotates first.
      this.nextRotateAt = nextBoundary(st.size > 0 ? st.mtimeMs : now, this.opts.rotateInterval);
      this.nextCheckAt = now + RETRY_MS;
      this.setError(null);
      return true;
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        /* already invalid */
      }
      this.fail(err, now);
      return false;
    }
  }

  /**
   * Once a second: is the path still our file? If the directory or file was removed, writes
   * would go to an unlinked inode nobody can read; if it was renamed away, readers look at the
   * new file. Either way, reopen.
   */
  private checkIdentity(now: number): void {
    this.nextCheckAt = now + RETRY_MS;
    let same = false;
    try {
      const st = statSync(this.path);
      same = st.ino === this.ino && st.dev === this.dev;
      // Someone truncated it in place (logrotate copytruncate, `> file`): size from the file.
      if (same) this.sizeBytes = st.size;
    } catch {
      same = false;
    }
    if (same) return;
    this.closeFd();
    this.open(now);
  }

  private fail(err: unknown, now: number): void {
    this.closeFd();
    this.nextRetryAt = now + RETRY_MS;
    this.setError(
      `cannot write log file ${this.path}: ${(err as Error).message}; its output is dropped until writing works again (retried every second)`,
    );
  }

  private setError(message: string | null): void {
    if (message === this.errorMessage) return;
    this.errorMessage = message;
    this.opts.onError?.(message);
  }

  private notice(message: string): void {
    this.opts.onNotice?.(message);
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already invalid: nothing more to release.
    }
    this.fd = null;
  }
}

/** The file's last byte, through a separate read-only fd (ours is write-only); unknown = newline. */
function lastByte(path: string, size: number): number | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      const one = Buffer.alloc(1);
      readSync(fd, one, 0, 1, size - 1);
      return one[0];
    } finally {
      closeSync(fd);
    }
  } catch {
    return NL;
  }
}
