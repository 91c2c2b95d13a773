import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AppSpec, LogPaths, LogRecord, LogStream } from '../protocol/model.js';
import { defaultLogFile, type TendPaths } from '../store/paths.js';
import type { OutputSink } from '../supervisor/stdio-pipes.js';

/** Resolved log files of an app (null = none). */
export function logPathsFor(paths: TendPaths, spec: AppSpec): LogPaths {
  if (spec.log.disabled) return { out: null, err: null, combined: spec.log.combinedFile };
  const out = spec.log.outFile ?? defaultLogFile(paths, spec.name, 'out');
  const err = spec.log.merge ? out : (spec.log.errFile ?? defaultLogFile(paths, spec.name, 'err'));
  return { out, err, combined: spec.log.combinedFile };
}

/** Minimal write-through writer (replaced by the rotating AppLog of src/logs). */
class BasicLog {
  private fds = new Map<string, number>();
  error: string | null = null;
  constructor(readonly files: LogPaths) {}

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      fd = openSync(path, 'a', 0o640);
      this.fds.set(path, fd);
    }
    return fd;
  }

  write(stream: LogStream, chunk: Buffer): void {
    const target = stream === 'out' ? this.files.out : this.files.err;
    try {
      if (target !== null) writeSync(this.fd(target), chunk);
      if (this.files.combined !== null) writeSync(this.fd(this.files.combined), chunk);
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

type Subscriber = (record: LogRecord) => void;

/** Routes each app's output to its log files and to live subscribers. */
export class LogRouter {
  private logs = new Map<number, BasicLog>();
  private subscribers = new Set<{ ids: Set<number>; streams: Set<LogStream>; fn: Subscriber }>();

  constructor(private readonly paths: TendPaths, private readonly now: () => number) {}

  /** The sink handed to an app's pipes; follows spec changes through `configure`. */
  sinkFor(id: number, appName: () => string): OutputSink {
    return {
      write: (stream, chunk) => {
        this.logs.get(id)?.write(stream, chunk);
        if (this.subscribers.size > 0) this.publish(id, appName(), stream, chunk);
      },
      endStream: () => undefined,
    };
  }

  configure(id: number, spec: AppSpec): void {
    this.logs.get(id)?.close();
    this.logs.set(id, new BasicLog(logPathsFor(this.paths, spec)));
  }

  errorOf(id: number): string | null {
    return this.logs.get(id)?.error ?? null;
  }

  remove(id: number): void {
    this.logs.get(id)?.close();
    this.logs.delete(id);
  }

  subscribe(ids: number[], streams: LogStream[], fn: Subscriber): () => void {
    const sub = { ids: new Set(ids), streams: new Set(streams), fn };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  reopen(): number {
    let n = 0;
    for (const log of this.logs.values()) {
      log.close();
      n += 1;
    }
    return n;
  }

  close(): void {
    for (const log of this.logs.values()) log.close();
    this.logs.clear();
  }

  private publish(id: number, app: string, stream: LogStream, chunk: Buffer): void {
    const text = chunk.toString('utf8');
    for (const sub of this.subscribers) {
      if (!sub.ids.has(id) || !sub.streams.has(stream)) continue;
      for (const line of text.split('\n')) if (line.length > 0) sub.fn({ time: this.now(), app, id, stream, message: line });
    }
  }
}
