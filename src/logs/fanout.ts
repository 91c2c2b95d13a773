import type { LogRecord, LogStream } from '../protocol/logs.js';

/**
 * Delivers one record to a follower. Returns false when the follower's transport is full (a
 * socket's `write()` returning false): the record was taken, but the next ones are queued
 * until `drain()` is called.
 */
export type RecordSend = (record: LogRecord) => boolean;

export interface FanoutLimits {
  /** Queued records per follower before it is dropped. */
  maxQueuedRecords: number;
  /** Queued bytes (estimated) per follower before it is dropped. */
  maxQueuedBytes: number;
}

export interface LogSubscription {
  readonly id: number;
  /** Records waiting for `drain()`. */
  readonly queued: number;
  readonly closed: boolean;
  /** The transport has room again (a socket's 'drain' event): send what is queued. */
  drain(): void;
  /** Stop receiving (the follower went away). Idempotent. */
  close(): void;
}

export interface LogSelection {
  apps?: readonly string[] | null;
  ids?: readonly number[] | null;
  streams?: readonly LogStream[] | null;
}

const DEFAULT_LIMITS: FanoutLimits = { maxQueuedRecords: 1000, maxQueuedBytes: 1024 * 1024 };

/** What a follower asked for, compiled to sets (null/absent = everything). */
class Selector {
  private readonly apps: ReadonlySet<string> | null;
  private readonly ids: ReadonlySet<number> | null;
  private readonly streams: ReadonlySet<LogStream> | null;

  constructor(selection: LogSelection) {
    this.apps = selection.apps ? new Set(selection.apps) : null;
    this.ids = selection.ids ? new Set(selection.ids) : null;
    this.streams = selection.streams ? new Set(selection.streams) : null;
  }

  wantsApp(app: string, id: number): boolean {
    return (this.apps === null || this.apps.has(app)) && (this.ids === null || this.ids.has(id));
  }

  matches(r: LogRecord): boolean {
    return this.wantsApp(r.app, r.id) && (this.streams === null || this.streams.has(r.stream));
  }
}

/** Rough wire size of a record, enough to bound memory. */
function recordBytes(r: LogRecord): number {
  return r.message.length + r.app.length + 64;
}

class Subscriber implements LogSubscription {
  readonly queue: LogRecord[] = [];
  queuedBytes = 0;
  blocked = false;
  closed = false;
  draining = false;

  constructor(
    readonly id: number,
    readonly selector: Selector,
    readonly send: RecordSend,
    readonly onDrop: (reason: string) => void,
    private readonly fanout: LogFanout,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  drain(): void {
    if (this.closed || this.draining) return;
    this.blocked = false;
    this.draining = true;
    try {
      while (!this.blocked && this.queue.length > 0 && !this.closed) {
        const record = this.queue.shift() as LogRecord;
        this.queuedBytes -= recordBytes(record);
        this.deliver(record);
      }
    } finally {
      this.draining = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.fanout.remove(this);
  }

  /** Hands one record over, or queues it while the transport is full. */
  offer(record: LogRecord, limits: FanoutLimits): void {
    if (!this.blocked) {
      this.deliver(record);
      return;
    }
    this.queue.push(record);
    this.queuedBytes += recordBytes(record);
    if (this.queue.length > limits.maxQueuedRecords || this.queuedBytes > limits.maxQueuedBytes) {
      this.drop(
        `too slow: more than ${limits.maxQueuedRecords} lines or ${limits.maxQueuedBytes} bytes were waiting to be sent; ` +
          'log lines are never held back for a follower, so it was disconnected',
      );
    }
  }

  private deliver(record: LogRecord): void {
    try {
      if (!this.send(record)) this.blocked = true;
    } catch (err) {
      this.drop(`send failed: ${(err as Error).message}`);
    }
  }

  private drop(reason: string): void {
    this.close();
    this.onDrop(reason);
  }
}

/**
 * Live followers of log lines (`tend logs -f`, the dashboard). Publishing never waits: each
 * follower gets a bounded queue while its transport is full, and a follower that falls further
 * behind is dropped with a reason, so a paused terminal cannot slow an app or the daemon.
 * Independent of sockets: the daemon wires `write()`'s return value and 'drain' to it.
 */
export class LogFanout {
  private readonly limits: FanoutLimits;
  private readonly subscribers = new Set<Subscriber>();
  private nextId = 1;

  constructor(limits: Partial<FanoutLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Followers currently subscribed. */
  get size(): number {
    return this.subscribers.size;
  }

  /** `onDrop` is called once, with a reason for the follower, when it is dropped for being too slow. */
  subscribe(selection: LogSelection, send: RecordSend, onDrop: (reason: string) => void = () => undefined): LogSubscription {
    const sub = new Subscriber(this.nextId++, new Selector(selection), send, onDrop, this);
    this.subscribers.add(sub);
    return sub;
  }

  /** True when some follower takes records of this app instance (AppLog builds records only then). */
  wants(app: string, id: number): boolean {
    for (const s of this.subscribers) if (s.selector.wantsApp(app, id)) return true;
    return false;
  }

  publish(record: LogRecord): void {
    for (const s of this.subscribers) {
      if (!s.closed && s.selector.matches(record)) s.offer(record, this.limits);
    }
  }

  /** Used by a subscription's close(). */
  remove(sub: LogSubscription): void {
    this.subscribers.delete(sub as Subscriber);
  }
}
