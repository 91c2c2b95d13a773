import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { isTendError } from '../errors.js';
import { PTY_MAX_FRAME_BYTES, PTY_PROTOCOL_VERSION, ptySize, type PtyClientFrame, type PtyHolderFrame } from '../protocol/pty.js';
import { encodeFrame, FrameDecoder } from '../rpc/framing.js';

export interface AttachHandlers {
  /** A client said hello: its terminal size, and the frames that greet it (hello, screen). */
  greet(cols: number, rows: number): Promise<PtyHolderFrame[]>;
  input(data: string): void;
  resize(cols: number, rows: number): void;
}

/**
 * The holder's Unix socket: any number of attached clients, all seeing the same output; input
 * from any of them goes to the app. A client that sends garbage, too large a frame or the wrong
 * protocol version gets an `error` frame and is disconnected; the app is never affected.
 */
export class AttachServer {
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  /** Clients being greeted: output that arrives meanwhile waits here, after their screen. */
  private readonly pending = new Map<Socket, string[]>();

  constructor(
    private readonly path: string,
    private readonly handlers: AttachHandlers,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    try {
      unlinkSync(this.path);
    } catch {
      /* none left over */
    }
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => {
        chmodSync(this.path, 0o600);
        resolve();
      });
    });
  }

  get attached(): number {
    return this.clients.size;
  }

  broadcast(frame: PtyHolderFrame): void {
    if (this.clients.size === 0 && this.pending.size === 0) return;
    const line = encodeFrame(frame);
    for (const queue of this.pending.values()) queue.push(line);
    // A client that cannot keep up (its socket buffers more than a few MB) is dropped, never waited for.
    for (const c of this.clients) {
      if (c.writableLength > 4 * 1024 * 1024) {
        c.destroy();
        continue;
      }
      c.write(line);
    }
  }

  close(): void {
    for (const c of this.clients) c.end();
    this.server.close();
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }

  private accept(socket: Socket): void {
    const decoder = new FrameDecoder(PTY_MAX_FRAME_BYTES);
    let greeted = false;
    socket.setNoDelay(true);
    const fail = (message: string): void => {
      socket.end(encodeFrame({ t: 'error', message } satisfies PtyHolderFrame));
      this.clients.delete(socket);
    };
    const forget = (): void => {
      this.clients.delete(socket);
      this.pending.delete(socket);
    };
    socket.on('error', forget);
    socket.on('close', forget);
    socket.on('data', (chunk: Buffer) => {
      let received: PtyClientFrame[];
      try {
        received = decoder.push(chunk) as PtyClientFrame[];
      } catch (err) {
        return fail(isTendError(err) && err.code === 'E_FRAME_TOO_LARGE' ? 'frame too large' : 'not a JSON frame');
      }
      for (const frame of received) {
        if (typeof frame !== 'object' || frame === null) return fail('not a JSON object');
        const size = frame.t === 'hello' || frame.t === 'resize' ? ptySize(frame.cols, frame.rows) : null;
        if (!greeted) {
          if (frame.t !== 'hello' || frame.protocol !== PTY_PROTOCOL_VERSION || size === null) {
            return fail(`expected hello with protocol ${PTY_PROTOCOL_VERSION} and a terminal size (whole numbers from 1 to 65535)`);
          }
          greeted = true;
          const queue: string[] = [];
          this.pending.set(socket, queue);
          void this.handlers.greet(size.cols, size.rows).then(
            (frames) => {
              this.pending.delete(socket);
              if (socket.destroyed) return;
              for (const f of frames) socket.write(encodeFrame(f));
              for (const line of queue) socket.write(line);
              this.clients.add(socket);
            },
            (err: Error) => fail(`cannot greet: ${err.message}`),
          );
        } else if (frame.t === 'in' && typeof frame.data === 'string') this.handlers.input(frame.data);
        else if (frame.t === 'resize' && size !== null) this.handlers.resize(size.cols, size.rows);
        else return fail('unknown frame');
      }
    });
  }
}
