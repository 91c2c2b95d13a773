import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  HOLDER_MAX_FRAME_BYTES,
  HOLDER_PROTOCOL_VERSION,
  type HolderKind,
  type HolderMethods,
  type HolderStatus,
  type HolderToDaemon,
} from '../protocol/holder.js';
import { FrameDecoder, encodeFrame } from '../rpc/framing.js';

export type HolderHandlers = {
  [K in keyof HolderMethods]: (p: Parameters<HolderMethods[K]>[0]) => ReturnType<HolderMethods[K]> | Promise<ReturnType<HolderMethods[K]>>;
};

/**
 * The holder's side of its control socket: a daemon connects, both say hello (a version
 * mismatch closes the connection with an error frame), then requests are answered and every
 * status change is pushed. A daemon that dies just closes its connection; the next one connects.
 */
export class HolderControlServer {
  private server: Server | null = null;
  private peers = new Set<Socket>();

  constructor(
    private readonly socketPath: string,
    private readonly kind: HolderKind,
    private readonly handlers: HolderHandlers,
    private readonly log: (line: string) => void,
  ) {}

  listen(): Promise<void> {
    try {
      unlinkSync(this.socketPath);
    } catch {
      /* not there */
    }
    const server = createServer((sock) => this.accept(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        chmodSync(this.socketPath, 0o600);
        resolve();
      });
    });
  }

  private accept(sock: Socket): void {
    const decoder = new FrameDecoder(HOLDER_MAX_FRAME_BYTES);
    let greeted = false;
    const send = (frame: HolderToDaemon | { t: 'error'; error: { code: string; message: string } }): void => {
      if (!sock.destroyed) sock.write(encodeFrame(frame));
    };
    send({ t: 'hello', protocol: HOLDER_PROTOCOL_VERSION, agent: 'tend-holder', pid: process.pid, kind: this.kind });
    sock.on('error', () => undefined);
    sock.on('close', () => this.peers.delete(sock));
    sock.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        send({ t: 'error', error: { code: 'E_PROTOCOL', message: (err as Error).message } });
        sock.end();
        return;
      }
      for (const f of frames as Array<Record<string, unknown>>) {
        if (!greeted) {
          if (f.t !== 'hello' || f.protocol !== HOLDER_PROTOCOL_VERSION) {
            send({
              t: 'error',
              error: {
                code: 'E_PROTOCOL_MISMATCH',
                message: `holder protocol ${HOLDER_PROTOCOL_VERSION}, peer sent ${JSON.stringify(f.protocol)}`,
              },
            });
            sock.end();
            return;
          }
          greeted = true;
          this.peers.add(sock);
          continue;
        }
        if (f.t === 'req' && typeof f.id === 'number' && typeof f.method === 'string') void this.answer(f.id, f.method, f.params, send);
      }
    });
  }

  private async answer(id: number, method: string, params: unknown, send: (frame: HolderToDaemon) => void): Promise<void> {
    const handler = (this.handlers as Record<string, ((p: unknown) => unknown) | undefined>)[method];
    if (handler === undefined) {
      send({ t: 'res', id, ok: false, error: { code: 'E_USAGE', message: `unknown holder method ${method}` } });
      return;
    }
    try {
      send({ t: 'res', id, ok: true, result: await handler(params ?? {}) });
    } catch (err) {
      const e = err as Error & { code?: unknown };
      this.log(`${method} failed: ${e.message}`);
      send({ t: 'res', id, ok: false, error: { code: typeof e.code === 'string' ? e.code : 'E_INTERNAL', message: e.message } });
    }
  }

  /** Pushes the status to every connected daemon. */
  broadcast(status: HolderStatus): void {
    const frame = encodeFrame({ t: 'status', status });
    for (const sock of this.peers) if (!sock.destroyed) sock.write(frame);
  }

  close(): void {
    for (const sock of this.peers) sock.destroy();
    this.server?.close();
    try {
      unlinkSync(this.socketPath);
    } catch {
      /* gone */
    }
  }
}
