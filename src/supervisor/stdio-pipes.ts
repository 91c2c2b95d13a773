import { chownSync, closeSync, constants, existsSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { LogStream } from '../protocol/logs.js';
import { FifoSpool, type SpooledSink } from './fifo-spool.js';
import { awaySpoolPathOf, spoolFilesOf, spoolPathOf } from './spool-places.js';

export type { SpooledSink, SpoolFile } from './fifo-spool.js';
import { pipePoller } from './pipe-poller.js';

/** Where the bytes read from an app's output go. Called synchronously per chunk. */
export interface OutputSink {
  write(stream: LogStream, chunk: Buffer): void;
  endStream(stream: LogStream): void;
  /** Present when the sink can make spooled output exact across a `kill -9` (see FifoSpool). */
  spooled?: SpooledSink;
}

/** A stream's spool file as it is when its bytes are handed over. */
interface Reader {
  close(): void;
  /** Opened before the current incarnation's writers existed (see attach). */
  inherited: boolean;
}

export interface PipePaths {
  in: string;
  out: string;
  err: string;
  /** Where the spools move when the FIFOs' filesystem has no room for them (see FifoSpool). */
  spoolDir?: string;
}

/**
 * An app's stdin/stdout/stderr as named pipes (DESIGN.md §2), so they outlive the daemon:
 * - the app gets each FIFO opened read-write, so a reader always exists and its writes never
 *   fail with EPIPE while no daemon reads; they fill the kernel buffer and then wait;
 * - the daemon opens its read end only after the app holds its end (a non-blocking read end
 *   with no writer would read end-of-file at once) and before dropping its own copy, so output
 *   of an app that dies at once is not discarded with the pipe;
 * - end-of-file comes when the app and every descendant holding the fd have exited.
 */
export class StdioPipes {
  private readers: Partial<Record<LogStream, Reader>> = {};
  private closed = false;

  constructor(
    private readonly paths: PipePaths,
    private readonly sink: OutputSink,
    private readonly onEnd: (stream: LogStream) => void,
    private readonly onReopenFailed: (stream: LogStream, err: Error) => void = () => undefined,
  ) {}

  /** Creates missing FIFOs (owner-only) through `makeFifos` (the daemon's FifoPool). */
  ensure(makeFifos: (paths: string[]) => void): void {
    const missing = [this.paths.in, this.paths.out, this.paths.err].filter((p) => {
      try {
        if (lstatSync(p).isFIFO()) return false;
        unlinkSync(p);
        return true;
      } catch {
        return true;
      }
    });
    if (missing.length > 0) makeFifos(missing);
  }

  /** Gives the FIFOs to the user an app runs as. */
  chown(uid: number, gid: number): void {
    for (const p of [this.paths.in, this.paths.out, this.paths.err]) chownSync(p, uid, gid);
  }

  /** Opens the app's ends (read-write; libuv opens with O_CLOEXEC, so other children do not inherit them). */
  openAppEnds(): [number, number, number] {
    const rw = constants.O_RDWR;
    return [openSync(this.paths.in, rw), openSync(this.paths.out, rw), openSync(this.paths.err, rw)];
  }

  /**
   * Starts reading out/err for a new incarnation. A reader still open from the previous one (a
   * surviving descendant holds the pipe, or its end-of-file is not processed yet) is kept and
   * marked inherited: if it then reads end-of-file, that end-of-file belongs to the old writers,
   * so a fresh reader is opened for the current ones. Without this, a restart racing the old
   * reader's end-of-file left the new process with nobody reading its output.
   */
  attach(): void {
    if (this.closed) return;
    for (const stream of ['out', 'err'] as const) {
      const current = this.readers[stream];
      if (current !== undefined) current.inherited = true;
      else this.open(stream);
    }
  }

  /** Reads a stream through its spool when the sink supports it and koffi loads; `plain` forces a socket. */
  private open(stream: LogStream, plain = false): void {
    const fifo = stream === 'out' ? this.paths.out : this.paths.err;
    const poller = plain || this.sink.spooled === undefined ? null : pipePoller();
    if (poller !== null && this.sink.spooled !== undefined) {
      const reader: Reader = { close: () => spool.close(), inherited: false };
      const spool: FifoSpool = new FifoSpool(
        fifo,
        { beside: spoolPathOf(fifo), away: this.paths.spoolDir === undefined ? null : awaySpoolPathOf(this.paths.spoolDir, fifo) },
        stream,
        this.sink.spooled,
        poller,
        () => this.ended(stream, reader),
        (err) => {
          this.onReopenFailed(stream, err);
          if (this.readers[stream] !== reader || this.closed) return;
          try {
            this.open(stream, true);
            (this.readers[stream] as Reader).inherited = reader.inherited;
          } catch (e) {
            delete this.readers[stream];
            this.onReopenFailed(stream, e as Error);
          }
        },
      );
      try {
        spool.open();
      } catch (err) {
        this.onReopenFailed(stream, err as Error);
        return this.open(stream, true);
      }
      this.readers[stream] = reader;
      return;
    }
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const sock = new Socket({ fd, readable: true, writable: false });
    const reader: Reader = { close: () => sock.destroy(), inherited: false };
    this.readers[stream] = reader;
    // Written before the next read, nothing awaited: only this chunk can be lost to a kill -9.
    sock.on('data', (chunk: Buffer) => this.sink.write(stream, chunk));
    sock.on('end', () => {
      this.sink.endStream(stream);
      this.ended(stream, reader);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.readers[stream] === reader) delete this.readers[stream];
    });
  }

  private ended(stream: LogStream, reader: Reader): void {
    if (this.readers[stream] === reader) {
      delete this.readers[stream];
      // The current incarnation holds its end (read-write) for its whole life: reading it again
      // cannot spin on end-of-file. A reader of the current incarnation that ends is not reopened.
      if (reader.inherited && !this.closed) this.reopen(stream);
    }
    this.onEnd(stream);
  }

  private reopen(stream: LogStream): void {
    try {
      this.open(stream);
    } catch (err) {
      this.onReopenFailed(stream, err as Error);
    }
  }

  /** True while some process still holds the write end of a stream (no end-of-file yet). */
  isReading(stream: LogStream): boolean {
    return this.readers[stream] !== undefined;
  }

  /** Writes a line to the app's stdin without ever blocking the daemon (EAGAIN = buffer full). */
  send(data: string): number {
    if (!existsSync(this.paths.in)) return 0;
    const fd = openSync(this.paths.in, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      return writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
  }

  /** Stops reading (daemon shutdown); the FIFOs stay for the next daemon. */
  detach(): void {
    this.closed = true;
    for (const reader of Object.values(this.readers)) reader?.close();
    this.readers = {};
  }

  /** Removes the FIFOs (app deleted). */
  remove(): void {
    this.detach();
    for (const p of [
      this.paths.in,
      this.paths.out,
      this.paths.err,
      ...spoolFilesOf(this.paths.out, this.paths.spoolDir ?? null),
      ...spoolFilesOf(this.paths.err, this.paths.spoolDir ?? null),
    ]) {
      try {
        unlinkSync(p);
      } catch {
        /* already gone */
      }
    }
  }
}
