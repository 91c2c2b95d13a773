import { connect, type Socket } from 'node:net';
import { TendError } from '../errors.js';
import type { DaemonEvent } from '../protocol/events.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type ClientFrame, type ServerFrame } from '../protocol/frames.js';
import type { MethodName, MethodParams, MethodResult } from '../protocol/methods.js';
import { encodeFrame, FrameDecoder } from './framing.js';

/**
 * A live daemon answers hello at once, even while it works through a long request; one that has
 * not within this time is stopped or stuck.
 */
const HELLO_MS = 10_000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A typed client for the daemon's socket. The hello and the first request go out in one write
 * (pipelined): the daemon answers them in order, so a CLI command costs one round trip.
 */
export class RpcClient {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private eventHandlers = new Set<(subscription: number, event: DaemonEvent) => void>();
  private closeHandlers = new Set<(err: Error | null) => void>();
  private failure: Error | null = null;
  daemonAgent: string | null = null;
  daemonPid: number | null = null;

  private constructor(private readonly socket: Socket) {
    const decoder = new FrameDecoder(MAX_FRAME_BYTES * 16);
    socket.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
        return;
      }
      for (const f of frames) this.onFrame(f as ServerFrame);
    });
    socket.on('error', (err) => this.fail(new TendError('E_DAEMON_UNREACHABLE', `lost the daemon connection: ${err.message}`)));
    socket.on('close', () => {
      clearTimeout(this.helloTimer);
      this.fail(
        new TendError('E_DAEMON_UNREACHABLE', 'the daemon closed the connection', {
          hint: 'Check the daemon log (`tend ping` shows where it is).',
        }),
      );
      for (const fn of this.closeHandlers) fn(this.failure);
    });
  }

  /** Connects and sends hello. Rejects with the socket error code in `details.errno` when nobody listens. */
  static connect(socketPath: string, agent: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new TendError('E_DAEMON_UNREACHABLE', `cannot connect to ${socketPath}: ${err.code ?? err.message}`, {
            details: { errno: err.code },
          }),
        );
      });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        const client = new RpcClient(socket);
        client.send({ t: 'hello', protocol: PROTOCOL_VERSION, agent, pid: process.pid });
        client.expectHello();
        resolve(client);
      });
    });
  }

  private helloTimer: NodeJS.Timeout | undefined;

  /** No hello within HELLO_MS: every request fails with why (the commands would otherwise wait forever). */
  private expectHello(): void {
    this.helloTimer = setTimeout(() => {
      this.fail(
        new TendError(
          'E_DAEMON_UNREACHABLE',
          `the daemon did not answer within ${HELLO_MS / 1000} s (it is stopped or stuck; if it resumes, it may still do this command)`,
          {
            hint: '`tend daemon restart` replaces it (apps keep running); `tend ping` shows its pid and log.',
            details: { hung: true },
          },
        ),
      );
      this.socket.destroy();
    }, HELLO_MS);
    this.helloTimer.unref();
  }

  private send(frame: ClientFrame): void {
    this.socket.write(encodeFrame(frame));
  }

  call<K extends MethodName>(method: K, params: MethodParams<K>, timeoutMs = 0): Promise<MethodResult<K>> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(
                new TendError('E_TIMEOUT', `the daemon did not answer \`${method}\` within ${timeoutMs} ms`, {
                  hint: 'Check the daemon log; `tend daemon restart` replaces it without stopping apps.',
                }),
              );
            }, timeoutMs)
          : undefined;
      const text = encodeFrame({ t: 'req', id, method, params } as ClientFrame);
      const bytes = Buffer.byteLength(text);
      if (bytes > MAX_FRAME_BYTES) {
        if (timer !== undefined) clearTimeout(timer);
        reject(
          new TendError(
            'E_FRAME_TOO_LARGE',
            `the \`${method}\` request is ${bytes} bytes, over the ${MAX_FRAME_BYTES}-byte limit of one message; nothing was sent`,
            {
              hint: 'Something in it is too large (an argument, an environment variable, an env_file): pass large data through a file instead.',
            },
          ),
        );
        return;
      }
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(text);
    });
  }

  /** Stop reading the socket (a slow event consumer); the daemon's bounded queue takes over. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  onEvent(fn: (subscription: number, event: DaemonEvent) => void): void {
    this.eventHandlers.add(fn);
  }

  onClose(fn: (err: Error | null) => void): void {
    this.closeHandlers.add(fn);
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.t) {
      case 'hello':
        clearTimeout(this.helloTimer);
        this.daemonAgent = frame.agent;
        this.daemonPid = frame.pid;
        return;
      case 'error':
        clearTimeout(this.helloTimer);
        this.fail(TendError.fromWire(frame.error));
        return;
      case 'evt':
        for (const fn of this.eventHandlers) fn(frame.subscription, frame.event);
        return;
      case 'res': {
        const p = this.pending.get(frame.id);
        if (p === undefined) return;
        this.pending.delete(frame.id);
        if (p.timer !== undefined) clearTimeout(p.timer);
        if (frame.ok) p.resolve(frame.result);
        else p.reject(TendError.fromWire(frame.error));
      }
    }
  }

  private fail(err: Error): void {
    if (this.failure === null) this.failure = err;
    for (const p of this.pending.values()) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(this.failure);
    }
    this.pending.clear();
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
