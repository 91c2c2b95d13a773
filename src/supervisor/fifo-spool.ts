import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { constants as os } from 'node:os';
import { dirname } from 'node:path';
import { ensureDir } from '../lib/ensure-dir.js';
import type { LogStream } from '../protocol/logs.js';
import type { PipePoller } from './pipe-poller.js';
import { SpoolReserve } from './spool-reserve.js';
import { nextPathOf, openLineFile, release, sizeOf, type SpoolPlaces } from './spool-places.js';

export interface SpoolFile {
  path: string;
  ino: number;
  size: number;
}

export interface SpooledSink {
  /** Writes `chunk`, the spool's last bytes; returns how many bytes at its end are held back unwritten. */
  write(stream: LogStream, chunk: Buffer, spool: SpoolFile): number;
  endStream(stream: LogStream, spool: SpoolFile): void;
  /** The spool was emptied (or replaced) after a write or an end: that write is over. */
  settled(): void;
  /** True when the stream's log keeps its open line back (json): the spool then holds it too. */
  keepsOpenLines(stream: LogStream): boolean;
  /** Bytes read straight from the pipe because the spool could not be written. */
  writeDirect(stream: LogStream, chunk: Buffer): void;
}

const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
/** Bytes moved into the spool before they are written out in one go. */
const BATCH = 128 * 1024;
/**
 * The blocks a spool keeps allocated ahead (see SpoolReserve): twice its last batch, between these
 * bounds. A quiet app's spool holds little of the filesystem (for root, of /dev/shm's memory), and
 * allocating a whole batch's pages after every line would cost more than the line (23 µs on tmpfs).
 */
const MIN_AHEAD = 16 * 1024;
const aheadFor = (batch: number): number => Math.min(BATCH, Math.max(MIN_AHEAD, 2 ** Math.ceil(Math.log2(2 * batch + 1))));

/**
 * One output stream of an app, read without ever holding its bytes only in memory. The kernel
 * moves them from the FIFO into a spool file (splice(2)): what left the pipe is in the spool, and
 * the spool's size says exactly how much left. The spool's bytes are then written to the log
 * files by the sink, which first records in its journal where the files ended (see LogJournal),
 * and the spool is emptied. A daemon killed at any instant leaves either a spool whose bytes
 * never reached the files, or one whose write the journal can undo: the next daemon replays it
 * in full, so each byte lands exactly once. The spool holds, besides the bytes being written,
 * only the open line a json log keeps until its newline.
 *
 * The spool's blocks are reserved ahead and each splice moves at most what the reserve covers, so
 * a full filesystem does not stop the spool. When its filesystem has no room for a reserve (full
 * when the spool was opened, or another process took the blocks freed by emptying it before they
 * were reserved again), the empty spool moves to its other place (`places.away`, on the home's
 * filesystem) until there is room beside the FIFO again. Only with no reserve in either place and
 * a splice that meets a full filesystem is the FIFO read directly (readDirect), where a kill can
 * lose what was read.
 */
export class FifoSpool {
  private fifoFd = -1;
  private spoolFd = -1;
  private ino = 0;
  /** Bytes in the spool, and how many of them the sink has been given. */
  private size = 0;
  private given = 0;
  private readonly offset = Buffer.alloc(8);
  private closed = false;
  private reserve: SpoolReserve | null = null;
  /** The spool file in use: one of `places`. */
  private path = '';
  /** The reserve asked for, after the last batch (see aheadFor). */
  private ahead = BATCH;

  constructor(
    private readonly fifoPath: string,
    private readonly places: SpoolPlaces,
    private readonly stream: LogStream,
    private readonly sink: SpooledSink,
    private readonly poller: PipePoller,
    private readonly onEnd: () => void,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Opens both files; bytes a killed daemon left in the spool are written out first. */
  open(): void {
    this.fifoFd = openSync(this.fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      // At most one of the two places holds bytes (the spool moves only when empty).
      const { beside, away } = this.places;
      const start = away !== null && sizeOf(away) > 0 ? away : beside;
      // The other place is empty; a reserve a killed daemon left there goes back.
      if (away !== null) release(start === beside ? away : beside);
      this.openSpool(start);
      if (this.size === 0 && this.reserve?.roomAt(0) === 0) this.relocate();
      if (this.sink.keepsOpenLines(this.stream)) this.prepareNext();
      if (this.size > 0) this.feed();
      this.poller.watch(this.fifoFd, () => this.drain());
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private openSpool(path: string): void {
    if (path === this.places.away) ensureDir(dirname(path));
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    const st = fstatSync(fd);
    if (this.spoolFd >= 0) closeSync(this.spoolFd);
    this.spoolFd = fd;
    this.path = path;
    this.ino = st.ino;
    this.size = st.size;
    this.given = 0;
    if (this.reserve === null) this.reserve = new SpoolReserve(this.poller.libc, fd);
    else this.reserve.reopened(fd);
    this.reserve.take(this.size, this.ahead);
  }

  /** Moves what the FIFO holds into the spool and on to the files; returns the bytes moved. */
  private drain(): number {
    if (this.closed) return 0;
    try {
      return this.move();
    } catch (err) {
      // The spool file failed under us: the caller reads this stream the plain way instead.
      this.close();
      this.onError(err as Error);
      return 0;
    }
  }

  /** Returns the bytes given to the sink this time. */
  private move(): number {
    const libc = this.poller.libc;
    let eof = false;
    let failed = false;
    while (this.size - this.given < BATCH) {
      const len = this.room();
      if (len === 0) break;
      this.offset.writeBigInt64LE(BigInt(this.size));
      const n = libc.splice(this.fifoFd, null, this.spoolFd, this.offset, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        this.size += n;
        continue;
      }
      if (n === 0) eof = true;
      else {
        const errno = libc.errno();
        if (errno === os.errno.EINTR) continue;
        failed = errno !== os.errno.EAGAIN;
      }
      break;
    }
    const moved = this.size - this.given;
    this.ahead = aheadFor(moved);
    if (this.size > this.given) this.feed();
    // The spool cannot be written (a full filesystem and no reserve, an I/O error): read as
    // before, so the app is never held up by tend's own files. These bytes are exposed to a kill.
    if (failed) eof = this.readDirect();
    if (eof) this.end();
    return moved;
  }

  /**
   * How many bytes the next splice may move: what the reserve still covers; 0 when it is used
   * up (the batch is written out first, which empties the spool and takes the reserve again).
   * With nothing left to write and no reserve to be had, a splice into unreserved blocks is the
   * last try before readDirect.
   */
  private room(): number {
    const reserve = this.reserve as SpoolReserve;
    let room = reserve.roomAt(this.size);
    if (room === 0 && this.size === this.given) room = reserve.take(this.size, this.ahead);
    if (room === 0 && this.size === 0) room = this.relocate();
    if (room === 0 && this.size === this.given) room = BATCH;
    return Math.min(room, BATCH);
  }

  /** Gives the spool's new bytes to the sink, then keeps only what it holds back (json's open line). */
  private feed(): void {
    const chunk = Buffer.allocUnsafe(this.size - this.given);
    let off = 0;
    while (off < chunk.length) {
      const n = readSync(this.spoolFd, chunk, off, chunk.length - off, this.given + off);
      if (n === 0) break;
      off += n;
    }
    const held = this.sink.write(this.stream, chunk.subarray(0, off), this.state());
    this.given = this.size;
    this.keep(Math.min(held, this.size));
    this.sink.settled();
  }

  private keep(held: number): void {
    if (held === 0) return this.empty();
    if (held === this.size) return;
    // A new file holding the tail, renamed over the spool: the journal names the old inode, so a
    // kill before or after the rename leaves a spool the next daemon reads correctly.
    const tail = Buffer.allocUnsafe(held);
    readSync(this.spoolFd, tail, 0, held, this.size - held);
    const next = nextPathOf(this.path);
    try {
      const fd = openLineFile(this.path, this.poller.libc);
      try {
        let off = 0;
        while (off < held) off += writeSync(fd, tail, off, held - off, off);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw err;
      // No room for the open line anywhere: the spool is emptied and the line stays only in the
      // log's memory until its newline (a kill before it loses that line's start).
      return this.empty();
    }
    renameSync(next, this.path);
    this.openSpool(this.path);
    this.given = this.size;
    this.prepareNext();
  }

  /** Makes the next open line's file now, while there is room (best effort: keep copes without it; see openLineFile). */
  private prepareNext(): void {
    try {
      closeSync(openLineFile(this.path, this.poller.libc));
    } catch {
      /* made again when needed */
    }
  }

  /** Empties the spool and takes its reserve again at once, before anything else can take the blocks. */
  private empty(): void {
    ftruncateSync(this.spoolFd, 0);
    this.size = 0;
    this.given = 0;
    const reserve = this.reserve as SpoolReserve;
    reserve.freed();
    // Away, it goes back beside the FIFO as soon as there is room there (giving the home's blocks back).
    if (this.path !== this.places.beside || reserve.take(0, this.ahead) === 0) this.relocate();
  }

  /**
   * The spool is empty: it goes where its blocks can be reserved, beside the FIFO first, else
   * away (the home's filesystem). Back beside only with the whole reserve: with a part of one it
   * would move again at the next batch. Returns the room it has (0: none in either place).
   */
  private relocate(): number {
    const { beside, away } = this.places;
    const reserve = this.reserve as SpoolReserve;
    if (away === null || this.size > 0) return reserve.roomAt(this.size);
    const from = this.path;
    try {
      this.openSpool(from === beside ? away : beside);
      if (reserve.roomAt(0) >= (from === away ? this.ahead : 1)) return reserve.roomAt(0);
      // Empty (the spool moves only then): truncating it gives a part of a reserve back.
      if (this.size === 0) ftruncateSync(this.spoolFd, 0);
    } catch {
      /* that place cannot be used now */
    }
    this.openSpool(from);
    return reserve.roomAt(0);
  }

  /** Reads the FIFO directly (a bounded number of reads: the poller calls again); true at end-of-file. */
  private readDirect(): boolean {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let reads = 0; reads < 16; reads++) {
      let n: number;
      try {
        n = readSync(this.fifoFd, buf, 0, buf.length, null);
      } catch {
        return false;
      }
      if (n === 0) return true;
      this.sink.writeDirect(this.stream, buf.subarray(0, n));
    }
    return false;
  }

  private state(): SpoolFile {
    return { path: this.path, ino: this.ino, size: this.size };
  }

  /** End-of-file: every writer is gone. Emptying the spool gives its reserve back, and the json line's file goes. */
  private end(): void {
    this.sink.endStream(this.stream, this.state());
    ftruncateSync(this.spoolFd, 0);
    this.sink.settled();
    this.size = 0;
    this.given = 0;
    for (const place of [this.places.beside, this.places.away]) {
      try {
        if (place !== null) unlinkSync(nextPathOf(place));
      } catch {
        /* none was made */
      }
    }
    this.close();
    this.onEnd();
  }

  /** Stops reading; the spool stays for the next reader. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fifoFd >= 0) {
      this.poller.unwatch(this.fifoFd);
      closeSync(this.fifoFd);
    }
    if (this.spoolFd >= 0) closeSync(this.spoolFd);
  }
}
