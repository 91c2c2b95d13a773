import net from 'node:net';
import { MessageTracker } from './http-frames.js';
import { acceptWithCopiedReads, copiedReads } from './socket-reads.js';

/** One instance behind the proxy: its private port and the connections it serves now. */
export interface Backend {
  readonly port: number;
  readonly conns: Set<ProxyConnection>;
  /** Out of rotation: its connections move to another instance at their next idle moment. */
  retiring: boolean;
  /** Called when its last connection leaves. */
  emptied: (() => void) | null;
  /** Resolves once it is out of rotation and its last connection left (or moved); set by the first retire. */
  drained: Promise<void> | null;
}

/** Where a connection gets an instance: null while none is ready (the connection waits). */
export interface BackendPicker {
  pick(exclude: Backend | null): Promise<Backend | null>;
}

const CONNECT_TRIES = 5;

/**
 * One client connection through the proxy: bytes go through unchanged both ways (with
 * backpressure), while two MessageTrackers follow the HTTP/1.1 exchanges. The connection stays
 * on its instance until that instance retires; then, at the first moment every request has been
 * answered, its upstream connection is closed and the client's next request goes to a ready
 * instance on a new upstream connection. The client keeps its one connection throughout.
 */
export class ProxyConnection {
  /** The client's side (the accepted socket, re-wrapped to read through copiedReads). */
  readonly client: net.Socket;
  private upstream: net.Socket | null = null;
  private backend: Backend | null = null;
  /** Client bytes read while no upstream is connected; sent first once one is. */
  private pending: Buffer[] = [];
  private attaching = false;
  private closed = false;
  private clientEnded = false;
  private readonly methods: string[] = [];
  private readonly requests: MessageTracker;
  private readonly responses: MessageTracker;

  /** @param accepted A connection from a server with `pauseOnConnect: true` (nothing read yet). */
  constructor(
    accepted: net.Socket,
    private readonly picker: BackendPicker,
  ) {
    const client = acceptWithCopiedReads(accepted, (chunk) => this.fromClient(chunk));
    this.client = client;
    this.requests = new MessageTracker('request', (h) => {
      this.methods.push(h.method);
      return 'body';
    });
    this.responses = new MessageTracker('response', (h) => {
      if (h.status === 101) return 'opaque';
      if (h.status >= 100 && h.status < 200) return 'interim';
      const method = this.methods.shift();
      if (method === 'CONNECT' && h.status < 300) return 'opaque';
      if (method === 'HEAD' || h.status === 204 || h.status === 304) return 'none';
      return 'body';
    });
    client.setNoDelay(true);
    client.on('end', () => {
      this.clientEnded = true;
      if (this.upstream !== null) this.upstream.end();
      else if (!this.attaching) this.close();
    });
    client.on('drain', () => this.upstream?.resume());
    client.on('error', () => this.close());
    client.on('close', () => this.close());
    this.attach();
  }

  /** Every request answered and nothing half sent: the connection may move. */
  private get between(): boolean {
    return (
      this.requests.idle &&
      this.responses.idle &&
      this.requests.completed === this.responses.completed &&
      !this.requests.opaque &&
      !this.responses.opaque
    );
  }

  /** Its instance retires: move now if idle, else after the exchange in flight. */
  retire(): void {
    if (this.between) this.detach();
  }

  private fromClient(chunk: Buffer): void {
    if (this.backend?.retiring === true && this.between) this.detach();
    if (!this.requests.opaque && !this.responses.opaque) this.requests.push(chunk);
    if (this.upstream === null || this.attaching) {
      this.pending.push(chunk);
      this.client.pause();
      if (!this.attaching) this.attach();
      return;
    }
    if (!this.upstream.write(chunk)) this.client.pause();
  }

  private fromUpstream(up: net.Socket, chunk: Buffer): void {
    if (up !== this.upstream) return;
    if (!this.responses.opaque && !this.requests.opaque) this.responses.push(chunk);
    if (this.responses.opaque) this.requests.opaque = true;
    if (!this.client.write(chunk)) up.pause();
    if (this.backend?.retiring === true && this.between) this.detach();
  }

  /** Connects to a ready instance (waiting for one if none is), then sends what the client sent. */
  private attach(): void {
    this.attaching = true;
    void this.connect(CONNECT_TRIES).then((up) => {
      this.attaching = false;
      if (up === null || this.closed) {
        up?.destroy();
        this.close();
        return;
      }
      this.upstream = up;
      for (const chunk of this.pending) up.write(chunk);
      this.pending = [];
      if (this.clientEnded) up.end();
      else this.client.resume();
    });
  }

  /** A new upstream connection to a ready instance; up to `tries` instances are tried. */
  private async connect(tries: number): Promise<net.Socket | null> {
    let exclude: Backend | null = null;
    for (let i = 0; i < tries && !this.closed; i++) {
      const backend = await this.picker.pick(exclude);
      if (backend === null || this.closed) return null;
      const up = await new Promise<net.Socket | null>((resolve) => {
        const onread = copiedReads((chunk) => this.fromUpstream(s, chunk));
        const s = net.connect({ host: '127.0.0.1', port: backend.port, noDelay: true, allowHalfOpen: true, onread });
        s.once('connect', () => {
          s.removeAllListeners('error');
          resolve(s);
        });
        s.once('error', () => resolve(null));
      });
      // Refused (it just died), or it left rotation while this connected: nothing was sent yet,
      // so another instance takes the connection.
      if (up === null || backend.retiring) {
        up?.destroy();
        exclude = backend;
        continue;
      }
      if (this.closed) {
        up.destroy();
        return null;
      }
      this.backend = backend;
      backend.conns.add(this);
      up.on('drain', () => {
        if (up === this.upstream) this.client.resume();
      });
      up.on('end', () => {
        if (up === this.upstream) this.client.end();
      });
      up.on('error', () => {
        if (up === this.upstream) this.close();
      });
      up.on('close', () => {
        if (up === this.upstream) this.close();
      });
      return up;
    }
    return null;
  }

  /** Leaves the current instance; the next client bytes open a new upstream connection. */
  private detach(): void {
    const up = this.upstream;
    this.upstream = null;
    this.leaveBackend();
    up?.end();
    up?.resume();
  }

  private leaveBackend(): void {
    const b = this.backend;
    this.backend = null;
    if (b === null) return;
    b.conns.delete(this);
    if (b.conns.size === 0) b.emptied?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream?.destroy();
    this.upstream = null;
    this.leaveBackend();
  }
}
