import type { ServerResponse } from 'node:http';
import type { DaemonEvent } from '../protocol/events.js';
import type { Connection } from '../rpc/server.js';

/**
 * A server-sent-events response seen as an RPC connection, so the same subscription handlers
 * (events, metrics, logs) feed the browser: the dashboard is a second door to the same methods.
 */
export class SseConnection implements Connection {
  private closers: Array<() => void> = [];
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write(': tend\n\n');
    res.on('close', () => this.finish());
    // A comment line now and then: proxies keep the stream open, and a dead client is noticed.
    this.heartbeat = setInterval(() => {
      if (!this.closed) res.write(': ping\n\n');
    }, 15_000);
    this.heartbeat.unref();
  }

  /** Writes one named event; false when the socket is full (the subscription decides to drop or queue). */
  send(name: string, data: unknown): boolean {
    if (this.closed) return false;
    return this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  sendEvent(_subscription: number, event: DaemonEvent): boolean {
    return this.send(event.type, event);
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  onDrain(fn: () => void): void {
    this.res.on('drain', fn);
  }

  end(): void {
    this.res.end();
    this.finish();
  }

  close(): void {
    this.res.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const fn of this.closers.splice(0)) {
      try {
        fn();
      } catch {
        /* a subscription's cleanup failing must not stop the others */
      }
    }
  }
}

/** A connection for one-shot method calls from HTTP (they never subscribe). */
export const NO_CONNECTION: Connection = {
  sendEvent: () => false,
  onClose: () => undefined,
  onDrain: () => undefined,
  end: () => undefined,
  close: () => undefined,
};
