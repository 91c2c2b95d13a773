import type { LogPaths, LogRecord, LogSpec, LogStream } from '../protocol/model.js';
import { ByteBuilder } from './byte-builder.js';
import { FileSink } from './file-sink.js';
import { createJsonLineFormatter, createTimePrefix } from './line-format.js';
import { LineSplitter, type PieceEnd } from './line-splitter.js';

export interface AppLogOptions {
  app: string;
  id: number;
  spec: LogSpec;
  /** Resolved absolute paths, null = no file. Equal paths share one file (merge: `err === out`). */
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
}

/** One file a stream writes to; `shared` when both streams write to it (merge, combined file). */
interface Target {
  sink: FileSink;
  lastStream: LogStream | null;
  shared: boolean;
}

interface StreamState {
  stream: LogStream;
  targets: Target[];
  splitter: LineSplitter;
  /** Arrival time of the open line's first byte. */
  lineTime: number;
  /** The `--time` prefix of the open line, repeated if another stream interrupts it in a shared file. */
  linePrefix: Buffer;
  /** The open line's bytes so far, kept only for json mode or a record listener. */
  partial: Buffer[];
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
  private readonly streams: Record<LogStream, StreamState>;
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
    const maxLine = opts.maxLineBytes ?? 64 * 1024;
    // Room past the size limit to keep one line whole: a cut line plus its prefix, or its JSON escaping.
    const slack = this.json ? maxLine * 6 + 1024 : maxLine + 1024;
    const byPath = new Map<string, Target>();
    const targetsOf = (stream: LogStream): Target[] => {
      const paths = opts.spec.disabled ? [] : [opts.files[stream], opts.files.combined];
      const found: Target[] = [];
      for (const path of paths) {
        if (path === null) continue;
        let t = byPath.get(path);
        if (t === undefined) {
          t = { sink: this.openSink(path, slack), lastStream: null, shared: false };
          byPath.set(path, t);
        }
        if (!found.includes(t)) found.push(t);
      }
      return found;
    };
    const make = (stream: LogStream): StreamState => ({
      stream,
      targets: targetsOf(stream),
      splitter: new LineSplitter(maxLine),
      lineTime: 0,
      linePrefix: EMPTY,
      partial: [],
    });
    this.streams = { out: make('out'), err: make('err') };
    for (const t of this.streams.out.targets) t.shared = this.streams.err.targets.includes(t);
    this.cur = this.streams.out;
    // A file that could not be opened reported before `sinks` listed it.
    this.refreshError();
  }

  get error(): string | null {
    return this.errorMessage;
  }

  get paths(): LogPaths {
    const { files, spec } = this.opts;
    return spec.disabled ? { out: null, err: null, combined: null } : { ...files };
  }

  /** Bytes that could not be written to some file (summed over files). */
  get droppedBytes(): number {
    return this.sinks.reduce((n, s) => n + s.droppedBytes, 0);
  }

  /** Starts or stops building records (set while someone follows this app's logs). */
  setRecordListener(listener: ((record: LogRecord) => void) | null): void {
    this.listener = listener;
  }

  /** Synchronous and write-through: the chunk's bytes are in the file(s) when this returns. */
  write(stream: LogStream, chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    const st = this.streams[stream];
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
  endStream(stream: LogStream): void {
    const st = this.streams[stream];
    if (this.closed || st.splitter.atLineStart) return;
    this.cur = st;
    if (this.json) {
      this.out.reset();
      this.jsonPiece(EMPTY, 0, 0, false, 'cut');
      this.emit(st, this.out.view(), false, EMPTY);
    } else {
      for (const t of st.targets) {
        if (t.lastStream === stream && !t.sink.atLineStart) t.sink.write(NEWLINE);
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
    });
    this.sinks.push(sink);
    return sink;
  }

  /**
   * Writes a transformed chunk to each file of the stream. In a file both streams share, a line
   * never mixes the streams' bytes: a partial line of the other stream is ended with a newline
   * first, and our own interrupted line goes on as a new line with its original prefix.
   */
  private emit(st: StreamState, body: Buffer, continuing: boolean, contPrefix: Buffer): void {
    for (const t of st.targets) {
      if (t.shared && t.lastStream !== null && t.lastStream !== st.stream) {
        if (!t.sink.atLineStart) t.sink.write(NEWLINE);
        if (continuing && contPrefix.length > 0) t.sink.write(contPrefix);
      }
      t.sink.write(body);
      t.lastStream = st.stream;
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
    const record: LogRecord = { time: st.lineTime, app: this.opts.app, id: this.opts.id, stream: st.stream, message };
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
