import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { TendError, isTendError } from '../errors.js';
import type { DaemonEvent } from '../protocol/events.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type ErrorFrame, type HelloFrame, type ServerFrame } from '../protocol/frames.js';
import type { MethodName, MethodParams, MethodResult } from '../protocol/methods.js';
import { encodeFrame, FrameDecoder } from './framing.js';

/** Requests of one connection handled per event-loop turn (a fraction of a ms to a few ms each). */
const FRAMES_PER_TURN = 16;

/** One client connection as handlers see it (for subscriptions). */
export interface Connection {
  /** Sends an event; false when the socket's buffer is full (the caller decides to drop). */
  sendEvent(subscription: number, event: DaemonEvent): boolean;
  onClose(fn: () => void): void;
  onDrain(fn: () => void): void;
  /** Closes after what is already queued has been written. */
  end(): void;
  close(): void;
}

export type Handler<K extends MethodName> = (params: MethodParams<K>, conn: Connection) => MethodResult<K> | Promise<MethodResult<K>>;
export type Handlers = { [K in MethodName]: Handler<K> };

export interface RpcServerOptions {
  socketPath: string;
  handlers: Handlers;
  agent: string;
  /** A client that says nothing for this long after connecting is disconnected. */
  helloTimeoutMs?: number;
  /** A request whose bytes have started arriving must be complete within this time. */
  requestTimeoutMs?: number;
  log(event: string, data: Record<string, unknown>): void;
}

/** The first frame must be a hello of this daemon's protocol: null when it is, else why it is refused. */
function helloError(frame: Record<string, unknown>): TendError | null {
  if (frame.t !== 'hello' || typeof frame.protocol !== 'number') return new TendError('E_PROTOCOL', 'expected a hello frame first');
  if (frame.protocol === PROTOCOL_VERSION) return null;
  return new TendError('E_PROTOCOL_MISMATCH', `this daemon speaks protocol ${PROTOCOL_VERSION}, the client speaks ${frame.protocol}`, {
    hint: 'Restart the daemon with the tend you are using: `tend daemon restart` (apps keep running).',
    details: { daemon: PROTOCOL_VERSION, client: frame.protocol },
  });
}

/**
 * A client that trickles a frame (a byte now and then) would hold its buffer forever: each frame
 * must arrive whole within the deadline once its first byte has come.
 */
class PartialFrameDeadline {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly decoder: FrameDecoder,
    private readonly ms: number,
    private readonly onTimeout: (bytes: number, ms: number) => void,
  ) {}

  /** Called after each chunk: arms the deadline while part of a frame is buffered, disarms it when none is. */
  watch(): void {
    if (this.decoder.buffered === 0) this.clear();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.onTimeout(this.decoder.buffered, this.ms), this.ms);
      this.timer.unref();
    }
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The daemon's control socket: hello handshake, request/response by id, event streams. */
export class RpcServer {
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  /** Requests whose handler has not answered yet, with how to answer each. */
  private underWay = new Set<{ fail: (err: unknown) => void }>();
  private settled: Array<() => void> = [];

  constructor(private readonly opts: RpcServerOptions) {}

  /** Binds the socket with mode 0600 (umask set around bind, chmod after, for filesystems that ignore it). */
  async listen(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.opts.socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    chmodSync(this.opts.socketPath, 0o600);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    const closers: Array<() => void> = [];
    let greeted = false;
    const send = (frame: ServerFrame): boolean => (socket.writable ? socket.write(encodeFrame(frame)) : false);
    const refuse = (error: TendError): void => {
      const frame: ErrorFrame = { t: 'error', error: error.toWire() };
      send(frame);
      socket.end();
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    const helloTimer = setTimeout(() => {
      this.opts.log('client-silent', {});
      refuse(new TendError('E_PROTOCOL', 'no hello received in time'));
    }, this.opts.helloTimeoutMs ?? 5000);
    helloTimer.unref();
    const conn: Connection = {
      sendEvent: (subscription, event) => send({ t: 'evt', subscription, event }),
      onClose: (fn) => closers.push(fn),
      onDrain: (fn) => socket.on('drain', fn),
      end: () => socket.end(),
      close: () => socket.destroy(),
    };
    const partial = new PartialFrameDeadline(decoder, this.opts.requestTimeoutMs ?? 10_000, (bytes, ms) => {
      this.opts.log('client-request-timeout', { bytes });
      refuse(new TendError('E_TIMEOUT', `a request was not completed within ${ms} ms (${bytes} bytes, no end of line)`));
    });
    socket.on('close', () => {
      clearTimeout(helloTimer);
      partial.clear();
      this.sockets.delete(socket);
      for (const fn of closers) fn();
    });
    socket.on('error', () => undefined);
    // Frames decoded but not handled yet: a chunk can hold hundreds of pipelined requests (one
    // `start` of a 300-app file), handled FRAMES_PER_TURN per event-loop turn with the socket
    // paused in between, so spawns finishing meanwhile, other clients and timers are served too.
    let queued: Array<Record<string, unknown>> = [];
    let drainScheduled = false;
    const drain = (): void => {
      drainScheduled = false;
      const batch = queued.splice(0, FRAMES_PER_TURN);
      for (const frame of batch) {
        if (socket.destroyed) return;
        if (!greeted) {
          clearTimeout(helloTimer);
          const wrong = helloError(frame);
          if (wrong !== null) {
            queued = [];
            refuse(wrong);
            return;
          }
          greeted = true;
          const hello: HelloFrame = { t: 'hello', protocol: PROTOCOL_VERSION, agent: this.opts.agent, pid: process.pid };
          send(hello);
          continue;
        }
        this.handle(frame, conn, send);
      }
      if (queued.length > 0) {
        drainScheduled = true;
        setImmediate(drain);
      } else if (socket.isPaused()) socket.resume();
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.opts.log('bad-frame', { error: (err as Error).message });
        queued = [];
        socket.pause();
        refuse(isTendError(err) ? err : new TendError('E_PROTOCOL', 'unreadable frame'));
        return;
      }
      partial.watch();
      queued.push(...(frames as Array<Record<string, unknown>>));
      if (queued.length > FRAMES_PER_TURN) socket.pause();
      if (!drainScheduled) drain();
    });
  }

  private handle(frame: Record<string, unknown>, conn: Connection, send: (f: ServerFrame) => boolean): void {
    const id = typeof frame.id === 'number' ? frame.id : -1;
    const method = frame.method;
    const reply = (result: unknown): void => void send({ t: 'res', id, ok: true, result: result as MethodResult<MethodName> });
    const fail = (err: unknown): void => {
      const e = isTendError(err) ? err : new TendError('E_INTERNAL', (err as Error)?.message ?? String(err));
      if (!isTendError(err)) this.opts.log('handler-crash', { method: String(method), error: (err as Error)?.stack ?? String(err) });
      send({ t: 'res', id, ok: false, error: e.toWire() });
    };
    if (frame.t !== 'req' || id < 0 || typeof method !== 'string' || !Object.hasOwn(this.opts.handlers, method)) {
      fail(
        new TendError('E_PROTOCOL', `unknown request${typeof method === 'string' ? ` method \`${method}\`` : ''}`, {
          hint: 'Is the CLI newer than the daemon? Run `tend daemon restart`.',
        }),
      );
      return;
    }
    const params = frame.params ?? {};
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      fail(new TendError('E_PROTOCOL', 'params must be an object'));
      return;
    }
    const handler = this.opts.handlers[method as MethodName] as (p: unknown, c: Connection) => unknown;
    try {
      const out = handler(params, conn);
      if (out instanceof Promise) {
        const entry = { fail };
        this.underWay.add(entry);
        void out.then(reply, fail).finally(() => this.answered(entry));
      } else reply(out);
    } catch (err) {
      fail(err);
    }
  }

  private answered(entry: { fail: (err: unknown) => void }): void {
    this.underWay.delete(entry);
    if (this.underWay.size > 0) return;
    for (const fn of this.settled.splice(0)) fn();
  }

  /**
   * Resolves once every request under way has been answered, or after `ms`: a daemon asked to
   * exit lets a `stop` or `restart` sent just before finish and answer (it keeps handling requests
   * meanwhile).
   */
  settle(ms: number): Promise<void> {
    if (this.underWay.size === 0) return Promise.resolve();
    this.opts.log('requests-under-way', { count: this.underWay.size, waitMs: ms });
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.settled.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Stops accepting; answers each request still under way with why it has no answer; closes
   * every connection; removes the socket file. Idempotent.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    for (const { fail } of this.underWay)
      fail(
        new TendError(
          'E_DAEMON_UNREACHABLE',
          'the daemon exited (tend daemon stop or restart, or a SIGTERM) before this command finished',
          {
            hint: 'What it had begun, the next daemon finishes: `tend list` shows where it stands; run the command again if it is not done.',
          },
        ),
      );
    this.underWay.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.opts.socketPath);
    } catch {
      /* already gone */
    }
  }
}
