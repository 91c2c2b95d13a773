import { connect, type Socket } from 'node:net';
import { TendError } from '../errors.js';
import {
  HOLDER_MAX_FRAME_BYTES,
  HOLDER_PROTOCOL_VERSION,
  type HolderMethod,
  type HolderMethods,
  type HolderStatus,
} from '../protocol/holder.js';
import type { ErrorCode } from '../protocol/errors.js';
import { FrameDecoder, encodeFrame } from '../rpc/framing.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** How long the daemon keeps trying to reach a holder that was just spawned (its socket appears in ~50 ms). */
const CONNECT_WINDOW_MS = 15_000;

/**
 * The daemon's side of one holder's control socket. Connects (retrying while a just-spawned
 * holder creates its socket), says hello with the holder protocol version, sends requests and
 * receives status events. A lost connection is re-established while the holder lives.
 */
export class HolderLink {
  private sock: Socket | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private greeted = false;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private waiting: Array<() => void> = [];
  lastStatus: HolderStatus | null = null;

  constructor(
    private readonly socketPath: string,
    private readonly onStatus: (s: HolderStatus) => void,
    private readonly log: (event: string, data: Record<string, unknown>) => void,
    /**
     * The holder's pid: a hello from another process is not this app's holder. The socket of a
     * holder that runs as another user is in that user's folder, and the user could point it at
     * another socket (another app's holder); the real holder's hello gives its own pid.
     */
    private readonly expectedPid: number | null = null,
  ) {}

  start(): void {
    this.attempt(Date.now() + CONNECT_WINDOW_MS, 10);
  }

  private attempt(deadline: number, delayMs: number): void {
    if (this.closed) return;
    const sock = connect(this.socketPath);
    const decoder = new FrameDecoder(HOLDER_MAX_FRAME_BYTES);
    this.greeted = false;
    sock.on('connect', () => {
      this.sock = sock;
      sock.write(encodeFrame({ t: 'hello', protocol: HOLDER_PROTOCOL_VERSION, agent: 'tend-daemon', pid: process.pid }));
    });
    sock.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const f of frames as Array<Record<string, unknown>>) this.onFrame(f, sock);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      const wasOpen = this.sock === sock;
      if (wasOpen) this.sock = null;
      for (const p of this.pending.values()) p.reject(holderLost());
      this.pending.clear();
      if (this.closed) return;
      // Not reachable yet (just spawned) or lost: try again within the window.
      const until = wasOpen ? Date.now() + CONNECT_WINDOW_MS : deadline;
      if (Date.now() > until) {
        this.log('holder-unreachable', { socket: this.socketPath });
        return;
      }
      this.retry = setTimeout(() => this.attempt(until, Math.min(delayMs * 2, 500)), wasOpen ? 10 : delayMs);
    });
  }

  private onFrame(f: Record<string, unknown>, sock: Socket): void {
    if (f.t === 'hello') {
      if (f.protocol !== HOLDER_PROTOCOL_VERSION) {
        this.log('holder-protocol-mismatch', { socket: this.socketPath, protocol: f.protocol });
        this.closed = true;
        sock.destroy();
        return;
      }
      if (this.expectedPid !== null && f.pid !== this.expectedPid) {
        this.log('holder-impostor', { socket: this.socketPath, expected: this.expectedPid, pid: f.pid });
        sock.destroy();
        return;
      }
      this.greeted = true;
      void this.call('status', {}).then(
        (s) => this.setStatus(s),
        () => undefined,
      );
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting) w();
    } else if (f.t === 'status') {
      this.setStatus(f.status as HolderStatus);
    } else if (f.t === 'res' && typeof f.id === 'number') {
      const p = this.pending.get(f.id);
      if (p === undefined) return;
      this.pending.delete(f.id);
      if (f.ok === true) p.resolve(f.result);
      else {
        const e = f.error as { code?: string; message?: string };
        // A holder started by an older tend (kept across `tend daemon restart`) lacks newer methods.
        if (e.message?.startsWith('unknown holder method') === true)
          p.reject(
            new TendError('E_NOT_RUNNING', `the app's holder process, started by an older tend, cannot do this (${e.message})`, {
              hint: 'Restart the app once (`tend restart <app>`): its new holder can.',
            }),
          );
        else p.reject(new TendError((e.code ?? 'E_INTERNAL') as ErrorCode, e.message ?? 'the holder refused'));
      }
    }
  }

  private setStatus(s: HolderStatus): void {
    this.lastStatus = s;
    this.onStatus(s);
  }

  /** Sends a request once connected (waiting for the connection, bounded by the connect window). */
  async call<K extends HolderMethod>(method: K, params: Parameters<HolderMethods[K]>[0]): Promise<ReturnType<HolderMethods[K]>> {
    if (!this.greeted || this.sock === null) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new TendError('E_INTERNAL', "the app's holder process does not answer on its control socket")),
          CONNECT_WINDOW_MS,
        );
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const sock = this.sock;
    if (sock === null) throw holderLost();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      sock.write(encodeFrame({ t: 'req', id, method, params }));
    });
  }

  close(): void {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.sock?.destroy();
    this.sock = null;
  }
}

/** A request to the holder that cannot be answered: its connection is gone, the holder with it. */
function holderLost(): TendError {
  return new TendError(
    'E_NOT_RUNNING',
    "the app's holder process exited before it answered (the app was stopped or deleted meanwhile, or its holder died)",
    { hint: '`tend list` shows what runs now (a holder that died is restarted as any crashed app); run the command again if needed.' },
  );
}
