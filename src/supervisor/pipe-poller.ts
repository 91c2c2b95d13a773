import { errnoName, loadLibc, type Libc } from '../spawner/libc.js';

const EPOLLIN = 0x1;
const EPOLL_CLOEXEC = 0o2000000;
const CTL_ADD = 1;
const CTL_DEL = 2;
/** struct epoll_event is packed on x86-64 only: {u32 events; u64 data} is 12 bytes there, 16 elsewhere. */
const EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const DATA_OFFSET = process.arch === 'x64' ? 4 : 8;
const MAX_EVENTS = 64;
/** A wait ends this often even with nothing ready, so a poller left with no pipe lets the process exit. */
const WAIT_MS = 500;
/**
 * A wake that found less than this waits a moment before the next wait: an app printing line by
 * line would otherwise cost a wake, a journal record and a file write per line. Its bytes are
 * safe in the pipe meanwhile, and a wake that finds a lot waits again at once.
 */
const SMALL_WAKE_BYTES = 16 * 1024;
const COALESCE_MS = 2;

/**
 * Readiness of pipes without reading them: libuv (a net.Socket) only says a pipe is readable by
 * reading it, and bytes read into the daemon's memory are what a `kill -9` loses. So the spooled
 * readers (see FifoSpool) wait in epoll_wait, on one thread of libuv's pool, and move the bytes
 * themselves with splice(2). Level-triggered: a pipe drained only in part is reported again.
 */
export class PipePoller {
  private epfd = -1;
  private readonly handlers = new Map<number, () => number>();
  private waiting = false;
  private readonly events = Buffer.alloc(EVENT_SIZE * MAX_EVENTS);
  private readonly one = Buffer.alloc(EVENT_SIZE);

  private constructor(readonly libc: Libc) {}

  /** Null where libc cannot be loaded through koffi (the caller reads pipes the plain way). */
  static create(): PipePoller | null {
    const libc = loadLibc();
    return libc === null ? null : new PipePoller(libc);
  }

  /** Calls `onReady` (which returns the bytes it moved) whenever `fd` has data or has reached end-of-file. Throws if epoll refuses it. */
  watch(fd: number, onReady: () => number): void {
    if (this.epfd < 0) {
      this.epfd = this.libc.epollCreate(EPOLL_CLOEXEC);
      if (this.epfd < 0) throw new Error(`epoll_create1: ${errnoName(this.libc.errno())}`);
    }
    this.one.fill(0);
    this.one.writeUInt32LE(EPOLLIN, 0);
    this.one.writeUInt32LE(fd, DATA_OFFSET);
    if (this.libc.epollCtl(this.epfd, CTL_ADD, fd, this.one) !== 0) throw new Error(`epoll_ctl: ${errnoName(this.libc.errno())}`);
    this.handlers.set(fd, onReady);
    this.arm();
  }

  /** Stops watching `fd`; call it before closing the fd. */
  unwatch(fd: number): void {
    if (!this.handlers.delete(fd)) return;
    this.libc.epollCtl(this.epfd, CTL_DEL, fd, this.one);
  }

  private arm(): void {
    if (this.waiting || this.handlers.size === 0) return;
    this.waiting = true;
    this.libc.epollWaitAsync(this.epfd, this.events, MAX_EVENTS, WAIT_MS, (err, n) => {
      this.waiting = false;
      if (err !== null && err !== undefined) n = -1;
      const ready: number[] = [];
      for (let i = 0; i < n; i++) ready.push(this.events.readUInt32LE(i * EVENT_SIZE + DATA_OFFSET));
      let moved = 0;
      for (const fd of ready) moved += this.handlers.get(fd)?.() ?? 0;
      // A failed wait (EINTR) is tried again, a little later so a lasting failure cannot spin.
      if (n < 0) setTimeout(() => this.arm(), 10).unref();
      else if (n > 0 && moved < SMALL_WAKE_BYTES) setTimeout(() => this.arm(), COALESCE_MS);
      else this.arm();
    });
  }
}

let shared: PipePoller | null | undefined;

/** The process's one poller (null without koffi). */
export function pipePoller(): PipePoller | null {
  if (shared === undefined) shared = PipePoller.create();
  return shared;
}
