import net from 'node:net';
import { portInUseError, type ListenAddress } from '../lib/listen-address.js';
import { ProxyConnection, type Backend, type BackendPicker } from './proxy-connection.js';

/**
 * Proxy mode's public side, inside the holder (so a daemon `kill -9` leaves it serving): the
 * listening socket the user's clients reach, and the rotation of instances that passed their
 * readiness check. Each new connection goes to the next instance in turn; while none is ready
 * (first start, every instance crashed) it waits, up to `waitMs`, instead of being refused.
 */
export class PublicProxy implements BackendPicker {
  private rotation: Backend[] = [];
  private turn = 0;
  private waiters = new Set<(b: Backend | null) => void>();
  private conns = new Set<ProxyConnection>();
  private closing = false;

  private constructor(
    private readonly server: net.Server,
    private readonly waitMs: number,
  ) {}

  /** Listens on the public address; E_PORT_IN_USE when another socket holds it. */
  static open(address: ListenAddress & { kind: 'tcp' }, waitMs: number): Promise<PublicProxy> {
    return new Promise((resolve, reject) => {
      let proxy: PublicProxy | null = null;
      const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (sock) => proxy?.accept(sock));
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? portInUseError(address) : new Error(`cannot listen on ${address.text}: ${err.message}`)),
      );
      const host = address.host === 'localhost' ? '127.0.0.1' : (address.host ?? undefined);
      server.listen({ host, port: address.port, backlog: 511, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        proxy = new PublicProxy(server, waitMs);
        resolve(proxy);
      });
    });
  }

  private accept(sock: net.Socket): void {
    const conn = new ProxyConnection(sock, this);
    this.conns.add(conn);
    conn.client.once('close', () => this.conns.delete(conn));
  }

  /** A fresh instance behind `port`, not in rotation yet. */
  static backend(port: number): Backend {
    return { port, conns: new Set(), retiring: false, emptied: null, drained: null };
  }

  /** The instance passed its readiness check: new connections may go to it. */
  add(backend: Backend): void {
    if (backend.retiring || this.rotation.includes(backend)) return;
    this.rotation.push(backend);
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w(backend);
  }

  /**
   * The instance leaves rotation (reload, stop, exit): no new connection goes to it, and its
   * connections move elsewhere once idle. Resolves when none is left on it.
   */
  retire(backend: Backend): Promise<void> {
    if (backend.drained !== null) return backend.drained;
    backend.retiring = true;
    this.rotation = this.rotation.filter((b) => b !== backend);
    backend.drained = new Promise((resolve) => {
      backend.emptied = resolve;
      if (backend.conns.size === 0) return resolve();
      for (const conn of [...backend.conns]) conn.retire();
    });
    return backend.drained;
  }

  pick(exclude: Backend | null): Promise<Backend | null> {
    if (this.closing) return Promise.resolve(null);
    const choices = this.rotation.filter((b) => b !== exclude);
    const list = choices.length > 0 ? choices : this.rotation;
    if (list.length > 0) {
      this.turn = (this.turn + 1) % list.length;
      return Promise.resolve(list[this.turn] as Backend);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(null);
      }, this.waitMs);
      const done = (b: Backend | null): void => {
        clearTimeout(timer);
        resolve(b);
      };
      this.waiters.add(done);
    });
  }

  /** The app stops: no new connection, and a connection between exchanges is closed, not moved. */
  stopAccepting(): void {
    this.closing = true;
    this.server.close();
    for (const w of this.waiters) w(null);
    this.waiters.clear();
  }

  close(): void {
    this.stopAccepting();
    for (const conn of [...this.conns]) conn.close();
  }
}
