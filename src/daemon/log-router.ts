import { AppLog } from '../logs/app-log.js';
import { LogJournal } from '../logs/log-journal.js';
import { LogFanout, type LogSelection, type LogSubscription, type RecordSend } from '../logs/fanout.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { LogPaths, LogRecord, LogSource, LogStream } from '../protocol/logs.js';
import { defaultLogFile, type TendPaths } from '../store/paths.js';
import type { OutputSink } from '../supervisor/stdio-pipes.js';

/** `/dev/null` (PM2's `NULL` is normalized to it) means "no file". */
export const NO_FILE = '/dev/null';

/**
 * Resolved log files of an app (null = none). As in PM2, without `merge_logs` (apps with
 * `instances` or cluster mode) `-<id>` goes before `.log`: `api-out.log` → `api-out-3.log`.
 * A pooled app (cluster or `listen`) writes all its instances through its holder into one file:
 * that file is never named after one instance (`api-out.log`, not `api-out-0.log`).
 */
export function logPathsFor(paths: TendPaths, spec: AppSpec, id: number): LogPaths {
  const oneFile = spec.log.merge || spec.execMode === 'cluster' || spec.listen.length > 0 || spec.proxy !== undefined;
  const suffixed = (path: string): string => (oneFile ? path : withIdSuffix(path, id));
  const pick = (file: string | null, stream: 'out' | 'err'): string | null =>
    file === NO_FILE ? null : suffixed(file ?? defaultLogFile(paths, spec.name, stream));
  const combined = spec.log.combinedFile === null || spec.log.combinedFile === NO_FILE ? null : suffixed(spec.log.combinedFile);
  if (spec.log.disabled) return { out: null, err: null, combined };
  return { out: pick(spec.log.outFile, 'out'), err: pick(spec.log.errFile, 'err'), combined };
}

/**
 * The files to read an app's history from (`logs.sources`, for `tend logs`, monit, the API and the
 * dashboard): one per wanted stream, a merged file once, and the combined file (`log_file`) when
 * there is no per-stream file.
 */
export function logSourcesFor(paths: TendPaths, spec: AppSpec, id: number, streams: readonly LogStream[]): LogSource[] {
  const files = logPathsFor(paths, spec, id);
  const out: LogSource[] = [];
  const add = (file: string | null, stream: LogStream): void => {
    if (file !== null) out.push({ file, app: spec.name, id, stream, type: spec.log.type });
  };
  if (streams.includes('out')) add(files.out, 'out');
  if (streams.includes('err') && files.err !== files.out) add(files.err, 'err');
  if (out.length === 0) add(files.combined, 'out');
  return out;
}

// PM2's rule: a trailing `-<digits>.log` or `.log` becomes `-<id>.log`; other names are kept.
function withIdSuffix(path: string, id: number): string {
  return path.replace(/-[0-9]+\.log$|\.log$/, `-${id}.log`);
}

interface Entry {
  log: AppLog;
  /** What the AppLog was built from; a restart with the same settings keeps it. */
  key: string;
  name: string;
  /** Uses hourly/daily rotation, which needs the 1 s timer. */
  timed: boolean;
}

/**
 * Routes each app's output to its AppLog (files, rotation) and to live followers (bounded
 * queues). The only periodic work is a 1 s check for time-based rotation, armed only while an
 * app uses it.
 */
export class LogRouter {
  private entries = new Map<number, Entry>();
  private fanout = new LogFanout();
  private readonly lineWatchers = new Map<number, Set<(r: LogRecord) => void>>();
  private timer: NodeJS.Timeout | null = null;
  private readonly journal: LogJournal;

  /** Undoes the log write a killed daemon left unfinished (before any log file is opened). */
  constructor(
    private readonly paths: TendPaths,
    private readonly now: () => number,
    private readonly log: (event: string, data: Record<string, unknown>) => void,
  ) {
    this.journal = new LogJournal(paths.logJournal, (message) => log('log-notice', { message }));
    for (const done of this.journal.recover()) log('log-write-undone', { file: done });
  }

  sinkFor(id: number): OutputSink {
    const logOf = (): AppLog | undefined => this.entries.get(id)?.log;
    return {
      write: (stream, chunk) => logOf()?.write(stream, chunk),
      endStream: (stream) => logOf()?.endStream(stream),
      // Spooled output (see FifoSpool): each write is journaled first, so a kill -9 can be undone.
      spooled: {
        write: (stream, chunk, spool) => {
          const log = logOf();
          if (log === undefined) return 0;
          this.journal.begin(spool, log.ends(stream));
          log.write(stream, chunk);
          return log.heldBytes(stream);
        },
        endStream: (stream, spool) => {
          const log = logOf();
          if (log === undefined) return;
          this.journal.begin(spool, log.ends(stream));
          log.endStream(stream);
        },
        settled: () => this.journal.end(),
        keepsOpenLines: () => logOf()?.keepsOpenLines === true,
        writeDirect: (stream, chunk) => logOf()?.write(stream, chunk),
      },
    };
  }

  configure(id: number, spec: AppSpec): void {
    const files = logPathsFor(this.paths, spec, id);
    const key = JSON.stringify([spec.name, spec.log, files, spec.runAs ?? null]);
    const old = this.entries.get(id);
    if (old?.key === key) return;
    old?.log.close();
    const log = new AppLog({
      app: spec.name,
      id,
      spec: spec.log,
      files,
      now: this.now,
      onError: (message) => this.log(message === null ? 'log-write-recovered' : 'log-write-failed', { id, app: spec.name, error: message }),
      onNotice: (message) => this.log('log-notice', { id, app: spec.name, message }),
      openInBackground: true,
      beforeRotate: (path, archive) => this.journal.rotating(path, archive),
      ...(spec.runAs === undefined ? {} : { owner: { uid: spec.runAs.uid, gid: spec.runAs.gid } }),
    });
    const entry = { log, key, name: spec.name, timed: spec.log.rotateInterval !== 'none' };
    this.entries.set(id, entry);
    // Only this app's listener can change (all of them: O(apps²) when 1,000 apps start).
    this.refreshListener(id, entry);
    this.armTimer();
  }

  /** A line of tend's own in the app's stdout log (a scheduled job's run header), as if the app wrote it. */
  note(id: number, line: string): void {
    this.entries.get(id)?.log.write('out', Buffer.from(`${line}\n`));
  }

  /** The files an app's output goes to now (for PM2's `pm_out_log_path` variables). */
  pathsOf(id: number): LogPaths {
    return this.entries.get(id)?.log.paths ?? { out: null, err: null, combined: null };
  }

  errorOf(id: number): string | null {
    return this.entries.get(id)?.log.error ?? null;
  }

  remove(id: number): void {
    this.entries.get(id)?.log.close();
    this.entries.delete(id);
    this.armTimer();
  }

  /** A live follower; `send` returning false queues (bounded) until `drain()`. */
  subscribe(selection: LogSelection, send: RecordSend, onDrop: (reason: string) => void): LogSubscription {
    const sub = this.fanout.subscribe(selection, send, (reason) => {
      onDrop(reason);
      this.refreshListeners();
    });
    this.refreshListeners();
    const close = sub.close.bind(sub);
    return Object.assign(sub, {
      close: () => {
        close();
        this.refreshListeners();
      },
    });
  }

  /** Records are built only for apps someone follows (the raw path allocates nothing per line). */
  private refreshListeners(): void {
    for (const [id, e] of this.entries) this.refreshListener(id, e);
  }

  private refreshListener(id: number, e: Entry): void {
    const own = this.lineWatchers.get(id);
    const follow = this.fanout.wants(e.name, id);
    e.log.setRecordListener(
      own === undefined && !follow
        ? null
        : (r) => {
            if (follow) this.fanout.publish(r);
            for (const fn of own ?? []) fn(r);
          },
    );
  }

  /** The daemon's own reader of an app's lines (ready_log_line) until the returned function is called. */
  watchLines(id: number, fn: (r: LogRecord) => void): () => void {
    const set = this.lineWatchers.get(id) ?? new Set();
    set.add(fn);
    this.lineWatchers.set(id, set);
    const refresh = (): void => {
      const e = this.entries.get(id);
      if (e !== undefined) this.refreshListener(id, e);
    };
    refresh();
    return () => {
      set.delete(fn);
      if (set.size === 0) this.lineWatchers.delete(id);
      refresh();
    };
  }

  private armTimer(): void {
    const needed = [...this.entries.values()].some((e) => e.timed);
    if (needed && this.timer === null) {
      this.timer = setInterval(() => {
        const now = this.now();
        for (const e of this.entries.values()) e.log.checkTime(now);
      }, 1000);
      this.timer.unref();
    } else if (!needed && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  reopen(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.log.reopen();
    return n;
  }

  flush(ids: number[]): number {
    let n = 0;
    for (const id of ids) n += this.entries.get(id)?.log.flush() ?? 0;
    return n;
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const e of this.entries.values()) e.log.close();
    this.entries.clear();
    this.journal.close();
  }
}
