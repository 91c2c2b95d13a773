import { Socket } from 'node:net';

/**
 * The daemon's end of a Node.js IPC channel in its `json` serialization: one JSON text per line
 * each way, which is what `process.send` in the app writes. Node's own messages (`cmd` starting
 * with NODE_) are not the app's and are dropped. A line over 1 MiB without a newline ends the
 * channel rather than grow the daemon's memory.
 */
export class IpcChannel {
  private readonly socket: Socket;
  private buffered = '';

  constructor(fd: number, onMessage: (msg: unknown) => void) {
    this.socket = new Socket({ fd, readable: true, writable: true });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (text: string) => {
      this.buffered += text;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) !== -1) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        const cmd = typeof msg === 'object' && msg !== null ? (msg as { cmd?: unknown }).cmd : undefined;
        if (typeof cmd === 'string' && cmd.startsWith('NODE_')) continue;
        onMessage(msg);
      }
      if (this.buffered.length > 1024 * 1024) this.close();
    });
    this.socket.on('error', () => undefined);
    // The channel must not keep the daemon's event loop alive on its own.
    this.socket.unref();
  }

  send(msg: unknown): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(msg)}\n`);
  }

  close(): void {
    this.socket.destroy();
  }
}
