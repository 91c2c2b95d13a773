import type { LogSpec } from '../protocol/app-spec.js';
import type { LogPaths, LogRecord, LogStream } from '../protocol/logs.js';
import { ByteBuilder } from './byte-builder.js';
import { FileSink } from './file-sink.js';
import type { FileEnd } from './log-journal.js';
import { createJsonLineFormatter, createTimePrefix } from './line-format.js';
import { LineSplitter, type PieceEnd } from './line-splitter.js';

export interface AppLogOptions {
  app: string;
  /** The instance id written when `write` is not given one. */
  id: number;
  spec: LogSpec;
  /** Resolved absolute paths, null = no file. Equal paths share one file. */
  files: LogPaths;
  /** A longer line is cut (a newline inserted) so one endless line cannot exhaust memory. Default 64 KiB. */
  maxLineBytes?: number;
  now?: () => number;
  /** A write problem started (message) or ended (null). */
  onError?: (message: string | null) => void;
  /** Non-fatal problems for the daemon log (compression or archive deletion failed, a listener threw). */
  onNotice?: (message: string) => void;
  /** Each complete line; records are only built while a listener is set (see `setRecordListener`). */
  onRecord?: (record: LogRecord) => void;
  /** Create the files in the thread pool (see FileSinkOptions.openInBackground). */
  openInBackground?: boolean;
  /** Called before a rotation renames a live file (see FileSinkOptions.beforeRotate). */
  beforeRotate?: (path: string, archive: string) => void;
  /** Owner of the files (see FileSinkOptions.owner). */
  owner?: { uid: number; gid: number };
}

/** The line state of one stream of one instance. */
interface StreamState {
  stream: LogStream;
  id: number;
  targets: FileSink[];
  splitter: LineSplitter;
  /** Arrival time of the open line's first byte. */
  lineTime: number;
  /** The `--time` prefix of the open line, repeated if another writer interrupts it in a shared file. */
  linePrefix: Buffer;
  /** The open line's bytes so far, kept only for json mode or a record listener. */
  partial: Buffer[];
  /** Its file was checked for a line the previous daemon left open (see resumeLine). */
  resumed: boolean;
}

const NEWLINE = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

/**
 * The log of one app instance: splits stdout/stderr into lines, formats them, and writes them
 * through to its files before `write` returns. Raw mode writes partial lines at once (a `kill -9`
 * of the daemon must not lose bytes it has read); only json mode holds a partial line, because
 * a record must be whole.
 */
export class AppLog {
  private readonly opts: AppLogOptions;
  private readonly now: () => number;
  private readonly sinks: FileSink[] = [];
  private readonly targets: Record<LogStream, FileSink[]>;
  /** Line state per instance and stream; instances of a cluster app may share one AppLog and its files. */
  private readonly states = new Map<number, Record<LogStream, StreamState>>();
  private readonly maxLine: number;
  private readonly json: boolean;
  private readonly prefix: ((ms: number) => Buffer) | null;
  private readonly out = new ByteBuilder();
  private readonly formatJson = createJsonLineFormatter();
  private readonly pending: LogRecord[] = [];
  private listener: ((record: LogRecord) => void) | null;
  private errorMessage: string | null = null;
  private closed = false;
  // The stream and time of the write in progress, read by the piece visitors.
  private cur: StreamState;
  private curNow = 0;

  constructor(opts: AppLogOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.listener = opts.onRecord ?? null;
    this.json = opts.spec.type === 'json';
    this.prefix = !this.json && opts.spec.time ? createTimePrefix(opts.spec.dateFormat) : null;
    this.maxLine = opts.maxLineBytes ?? 64 * 1024;
    // Room past the size limit to keep one line whole: a cut line plus its prefix, or its JSON escaping.
    const slack = this.json ? this.maxLine * 6 + 1024 : this.maxLine + 1024;
    const byPath = new Map<string, FileSink>();
    const { files, spec } = opts;
    const targetsOf = (paths: (string | null)[]): FileSink[] => {
      const found: FileSink[] = [];
      for (const path of spec.disabled ? [] : paths) {
        if (path === null) continue;
        let sink = byPath.get(path);
        if (sink === undefined) {
          sink = this.openSink(path, slack);
          byPath.set(path, sink);
        }
        if (!found.includes(sink)) found.push(sink);
      }
      return found;
    };
    this.targets = {
      out: targetsOf([files.out, files.combined]),
      err: targetsOf([files.err, files.combined]),
    };
    this.cur = this.state(opts.id, 'out');
    // A file that could not be opened reported before `sinks` listed it.
    this.refreshError();
  }

  get error(): string | null {
    return this.errorMessage;
  }

  get paths(): LogPaths {
    const { files, spec } = this.opts;
    if (spec.disabled) return { out: null, err: null, combined: null };
    return { out: files.out, err: files.err, combined: files.combined };
  }

  /** Bytes that could not be written to some file (summed over files). */
  get droppedBytes(): number {
    return this.sinks.reduce((n, s) => n + s.droppedBytes, 0);
  }

  /** Where each file of a stream ends now (for the log journal). */
  ends(stream: LogStream): FileEnd[] {
    return this.closed ? [] : this.targets[stream].map((s) => s.end());
  }

  /** True when an open line is kept back until its newline (json mode keeps a record whole). */
  get keepsOpenLines(): boolean {
    return this.json;
  }

  /** Bytes of a stream's open line kept back, not written yet (json mode keeps a record whole). */
  heldBytes(stream: LogStream, id = this.opts.id): number {
    if (!this.json) return 0;
    return this.state(id, stream).partial.reduce((n, b) => n + b.length, 0);
  }

  /** Starts or stops building records (set while someone follows this app's logs). */
  setRecordListener(listener: ((record: LogRecord) => void) | null): void {
    this.listener = listener;
  }

  /** Synchronous and write-through: the chunk's bytes are in the file(s) when this returns. */
  write(stream: LogStream, chunk: Buffer, id = this.opts.id): void {
    if (this.closed || chunk.length === 0) return;
    const st = this.state(id, stream);
    if (!st.resumed) this.resumeLine(st);
    const now = this.now();
    const continuing = !st.splitter.atLineStart;
    const contPrefix = st.linePrefix;
    let body: Buffer;
    if (!this.json && this.prefix === null && this.listener === null && st.splitter.fitsUncut(chunk)) {
      // The common case: bytes go out exactly as they came, no copy.
      st.splitter.advance(chunk);
      body = chunk;
    } else {
      this.out.reset();
      this.cur = st;
      this.curNow = now;
      st.splitter.split(chunk, this.json ? this.jsonPiece : this.rawPiece);
      body = this.out.view();
    }
    if (body.length > 0) this.emit(st, body, continuing, contPrefix);
    this.deliver();
  }

  /** End of a stream (the process exited): terminate its open line, or write its held record. */
  endStream(stream: LogStream, id = this.opts.id): void {
    const st = this.state(id, stream);
    if (this.closed || st.splitter.atLineStart) return;
    this.cur = st;
    if (this.json) {
      this.out.reset();
      this.jsonPiece(EMPTY, 0, 0, false, 'cut');
      this.emit(st, this.out.view(), false, EMPTY);
    } else {
      for (const sink of st.targets) {
        if (sink.lastWriter === st && !sink.atLineStart) sink.write(NEWLINE);
      }
      if (this.listener !== null) this.collect(st, EMPTY, 0, 0, 'cut');
    }
    st.splitter.reset();
    st.partial.length = 0;
    this.deliver();
  }

  /** Time-based rotation and file health checks; call it from a timer (about once a second). */
  checkTime(now = this.now()): void {
    for (const s of this.sinks) s.checkTime(now);
  }

  /** Reopens every file (after an external logrotate with `create`); returns the files reopened. */
  reopen(): number {
    return this.sinks.filter((s) => s.reopen()).length;
  }

  /** Empties the live files and deletes the archives, safely while the app writes. */
  flush(): number {
    return this.sinks.reduce((n, s) => n + s.flush(), 0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sinks) s.close();
  }

  /** Resolves when archive compression is done. */
  async idle(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.idle()));
  }

  private openSink(path: string, slack: number): FileSink {
    const { spec } = this.opts;
    const sink = new FileSink({
      path,
      maxSizeBytes: spec.maxSizeBytes,
      rotateInterval: spec.rotateInterval,
      retain: spec.retain,
      compress: spec.compress,
      lineSlackBytes: slack,
      now: this.now,
      onError: () => this.refreshError(),
      onNotice: (m) => this.opts.onNotice?.(m),
      openInBackground: this.opts.openInBackground === true,
      ...(this.opts.beforeRotate === undefined ? {} : { beforeRotate: this.opts.beforeRotate }),
      ...(this.opts.owner === undefined ? {} : { owner: this.opts.owner }),
    });
    this.sinks.push(sink);
    return sink;
  }

  private state(id: number, stream: LogStream): StreamState {
    let pair = this.states.get(id);
    if (pair === undefined) {
      const make = (s: LogStream): StreamState => ({
        stream: s,
        id,
        targets: this.targets[s],
        splitter: new LineSplitter(this.maxLine),
        lineTime: 0,
        linePrefix: EMPTY,
        partial: [],
        resumed: this.json,
      });
      pair = { out: make('out'), err: make('err') };
      this.states.set(id, pair);
    }
    return pair[stream];
  }

  /**
   * A new AppLog (a new daemon) whose stream's own file ends mid-line: that line is the stream's,
   * cut by the previous daemon's end, and goes on without a second prefix.
   */
  private resumeLine(st: StreamState): void {
    st.resumed = true;
    const own = st.targets[0];
    const other = this.targets[st.stream === 'out' ? 'err' : 'out'];
    if (own !== undefined && !other.includes(own) && own.endsMidLine()) st.splitter.atLineStart = false;
  }

  /**
   * Writes a transformed chunk to each file of the stream. In a file several writers share
   * (merge, combined file, instances), a line never mixes their bytes: another writer's partial
   * line is ended with a newline first, and our own interrupted line goes on as a new line with
   * its original prefix.
   */
  private emit(st: StreamState, body: Buffer, continuing: boolean, contPrefix: Buffer): void {
    for (const sink of st.targets) {
      if (sink.lastWriter !== st && sink.lastWriter !== null) {
        if (!sink.atLineStart) sink.write(NEWLINE);
        if (continuing && contPrefix.length > 0) sink.write(contPrefix);
      }
      sink.write(body);
      sink.lastWriter = st;
    }
  }

  private readonly rawPiece = (chunk: Buffer, start: number, end: number, lineStart: boolean, ending: PieceEnd): void => {
    const st = this.cur;
    if (lineStart) {
      st.lineTime = this.curNow;
      if (this.prefix !== null) {
        st.linePrefix = this.prefix(this.curNow);
        this.out.push(st.linePrefix);
      }
    }
    this.out.push(chunk, start, ending === 'newline' ? end + 1 : end);
    if (ending === 'cut') this.out.push(NEWLINE);
    if (this.listener !== null) this.collect(st, chunk, start, end, ending);
  };

  private readonly jsonPiece = (chunk: Buffer, start: number, end: number, lineStart: boolean, ending: PieceEnd): void => {
    const st = this.cur;
    if (lineStart) st.lineTime = this.curNow;
    const record = this.collect(st, chunk, start, end, ending);
    if (record !== null) this.out.pushString(this.formatJson(record));
  };

  /** Adds a piece to the open line; on a line's end, builds its record (queued for the listener). */
  private collect(st: StreamState, chunk: Buffer, start: number, end: number, ending: PieceEnd): LogRecord | null {
    if (ending === 'open') {
      st.partial.push(Buffer.from(chunk.subarray(start, end)));
      return null;
    }
    const message =
      st.partial.length === 0
        ? chunk.toString('utf8', start, end)
        : Buffer.concat([...st.partial, chunk.subarray(start, end)]).toString('utf8');
    st.partial.length = 0;
    const record: LogRecord = { time: st.lineTime, app: this.opts.app, id: st.id, stream: st.stream, message };
    if (this.listener !== null) this.pending.push(record);
    return record;
  }

  /** Records go to the listener after the bytes are in the files, so a listener cannot delay them. */
  private deliver(): void {
    if (this.pending.length === 0) return;
    const listener = this.listener;
    for (const record of this.pending) {
      try {
        listener?.(record);
      } catch (err) {
        this.opts.onNotice?.(`log listener failed: ${(err as Error).message}`);
      }
    }
    this.pending.length = 0;
  }

  private refreshError(): void {
    const messages = this.sinks.map((s) => s.error).filter((m): m is string => m !== null);
    const next = messages.length === 0 ? null : messages.join('; ');
    if (next === this.errorMessage) return;
    this.errorMessage = next;
    this.opts.onError?.(next);
  }
}
