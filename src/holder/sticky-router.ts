import type { Worker } from 'node:cluster';
import net from 'node:net';
import { constants } from 'node:os';
import { chooseInstance, clientKey } from './sticky-choice.js';
import { stickyMessage, type StickyToPrimary, type StickyToWorker } from './sticky-messages.js';

/** A worker listening on an address, as one instance of the app. */
interface Member {
  worker: Worker;
  instance: number;
  /** Join order: during a reload the newer process of an instance takes its clients. */
  joined: number;
}

/**
 * The workers listening on one address. Which process serves each instance is worked out once
 * per change of members, not per connection: for an instance with two processes (a reload),
 * the newer one.
 */
class Members {
  private all = new Map<number, Member>();
  private newest: Map<number, Member> | null = null;
  private instances: number[] = [];

  get size(): number {
    return this.all.size;
  }

  add(member: Member): void {
    this.all.set(member.worker.id, member);
    this.newest = null;
  }

  delete(workerId: number): boolean {
    const had = this.all.delete(workerId);
    if (had) this.newest = null;
    return had;
  }

  /** The process of the client's instance, or null when none listens. */
  pick(client: string): Member | null {
    if (this.newest === null) {
      const newest = new Map<number, Member>();
      for (const m of this.all.values()) {
        const had = newest.get(m.instance);
        if (had === undefined || had.joined < m.joined) newest.set(m.instance, m);
      }
      this.newest = newest;
      this.instances = [...newest.keys()];
    }
    const instance = chooseInstance(client, this.instances);
    return instance === null ? null : (this.newest.get(instance) ?? null);
  }
}

/** One address the workers listen on: the primary accepts on it and picks a worker per client. */
interface Listener {
  key: string;
  server: net.Server;
  bound: boolean;
  members: Members;
  /** Listens answered once the address is bound (or failed). */
  waiting: Array<{ worker: Worker; instance: number; id: number }>;
}

/** An accepted connection as libuv gives it (what node:cluster's primary hands over too). */
interface RawConnection {
  getpeername(out: { address?: string }): number;
  close(): void;
}

/** A connection handed to a worker, kept open here until the worker says it took it. */
interface Handed {
  socket: RawConnection;
  listener: Listener;
  workerId: number;
}

const EINVAL = -constants.errno.EINVAL;

/**
 * Sticky sessions (`sticky: true`) in the node:cluster primary. node:cluster's own round-robin
 * hands each new connection to the next worker, so the requests of one client land on every
 * worker in turn, which breaks apps that keep a session in memory between connections
 * (socket.io's polling transport: the handshake is on one worker, the next poll on another
 * answers "Session ID unknown"). Here the workers' TCP listens come to the primary instead
 * (sticky-worker.ts), which accepts on each address itself, without reading a byte, and hands the
 * connection to the instance the client's IP address belongs to (sticky-choice.ts), as
 * node:cluster hands it over: the socket goes over the worker's IPC channel, the worker
 * acknowledges it, and only then does the primary close its copy; a worker that no longer
 * listens there refuses it and the next choice gets it.
 */
export class StickyRouter {
  private listeners = new Map<string, Listener>();
  private handed = new Map<number, Handed>();
  /** Workers out of rotation: a listen they still make is left unanswered, as node:cluster does. */
  private retired = new WeakSet<Worker>();
  private seq = 0;
  private joins = 0;

  constructor(private readonly log: (line: string) => void) {}

  /** A new worker: its listens and acknowledgements come through here. */
  adopt(worker: Worker, instance: number): void {
    worker.on('message', (msg: unknown) => {
      const m = stickyMessage<StickyToPrimary>(msg);
      if (m !== null) this.onMessage(worker, instance, m);
    });
    worker.once('exit', () => this.leave(worker, true));
  }

  /**
   * The worker leaves rotation (retired, or gone when `exited`): no new connection reaches it,
   * its clients go to their next instance. Connections handed to a worker that exited without
   * taking them are closed (the client reconnects).
   */
  leave(worker: Worker, exited = false): void {
    this.retired.add(worker);
    for (const listener of [...this.listeners.values()]) {
      listener.waiting = listener.waiting.filter((w) => w.worker !== worker);
      if (listener.members.delete(worker.id)) this.closeIfUnused(listener);
    }
    if (!exited) return;
    for (const [seq, h] of this.handed) {
      if (h.workerId !== worker.id) continue;
      this.handed.delete(seq);
      h.socket.close();
    }
  }

  close(): void {
    for (const listener of this.listeners.values()) listener.server.close();
    this.listeners.clear();
    for (const h of this.handed.values()) h.socket.close();
    this.handed.clear();
  }

  private onMessage(worker: Worker, instance: number, m: StickyToPrimary): void {
    switch (m.tend) {
      case 'sticky-listen':
        if (this.retired.has(worker) || typeof m.id !== 'number' || typeof m.key !== 'string' || !Number.isInteger(m.port)) return;
        this.listen(worker, instance, m);
        break;
      case 'sticky-close': {
        const listener = this.listeners.get(m.key);
        if (listener?.members.delete(worker.id) === true) this.closeIfUnused(listener);
        break;
      }
      case 'sticky-ack':
        this.acknowledged(m.seq, m.accepted === true);
        break;
    }
  }

  private listen(worker: Worker, instance: number, m: Extract<StickyToPrimary, { tend: 'sticky-listen' }>): void {
    const known = this.listeners.get(m.key);
    if (known !== undefined) {
      if (known.bound) this.join(known, worker, instance, m.id);
      else known.waiting.push({ worker, instance, id: m.id });
      return;
    }
    const server = net.createServer();
    const listener: Listener = { key: m.key, server, bound: false, members: new Members(), waiting: [{ worker, instance, id: m.id }] };
    this.listeners.set(m.key, listener);
    server.once('listening', () => {
      listener.bound = true;
      // As node:cluster's round-robin handle does: connections are taken from the listening
      // handle as libuv accepts them, never wrapped in a net.Socket here (nothing is read).
      const handle = (server as unknown as { _handle: { onconnection: (err: number, c?: RawConnection) => void } })._handle;
      handle.onconnection = (err, connection) => {
        if (err === 0 && connection !== undefined) this.route(listener, connection);
      };
      const bound = server.address() as net.AddressInfo;
      this.log(`sticky: accepting on ${bound.address}:${bound.port}, each client's connections to its instance`);
      const waiting = listener.waiting;
      listener.waiting = [];
      for (const w of waiting) this.join(listener, w.worker, w.instance, w.id);
      this.closeIfUnused(listener);
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (listener.bound) {
        this.log(`sticky: ${m.key}: ${err.message}`);
        return;
      }
      this.listeners.delete(m.key);
      const errno = typeof err.errno === 'number' && err.errno < 0 ? err.errno : EINVAL;
      for (const w of listener.waiting) reply(w.worker, { tend: 'sticky-listening', id: w.id, errno, sockname: null });
    });
    server.listen({
      port: m.port,
      host: m.address ?? undefined,
      backlog: Number.isInteger(m.backlog) && m.backlog > 0 ? m.backlog : 511,
      ipv6Only: (m.flags & 1) !== 0,
    });
  }

  private join(listener: Listener, worker: Worker, instance: number, id: number): void {
    if (worker.isDead() || !worker.isConnected()) return;
    const sockname = listener.server.address() as net.AddressInfo;
    listener.members.add({ worker, instance, joined: ++this.joins });
    reply(worker, { tend: 'sticky-listening', id, errno: 0, sockname });
    // What node:cluster's primary emits when a worker listens: the driver's readiness.
    worker.emit('listening', { address: sockname.address, port: sockname.port, addressType: sockname.family === 'IPv6' ? 6 : 4 });
  }

  /** Node's cluster closes an address once no worker listens on it: so does the router. */
  private closeIfUnused(listener: Listener): void {
    if (!listener.bound || listener.members.size > 0 || listener.waiting.length > 0) return;
    if (this.listeners.get(listener.key) === listener) this.listeners.delete(listener.key);
    listener.server.close();
  }

  private route(listener: Listener, socket: RawConnection): void {
    const peer: { address?: string } = {};
    const member = socket.getpeername(peer) === 0 ? listener.members.pick(clientKey(peer.address)) : null;
    if (member === null) {
      socket.close();
      return;
    }
    const seq = ++this.seq;
    this.handed.set(seq, { socket, listener, workerId: member.worker.id });
    const message: StickyToWorker = { tend: 'sticky-conn', key: listener.key, seq };
    try {
      // The raw handle, as node:cluster sends it: the worker builds its own net.Socket on it.
      member.worker.send(message, socket as unknown as net.Socket, (err: Error | null) => {
        if (err) this.refused(seq, member);
      });
    } catch {
      this.refused(seq, member);
    }
  }

  private refused(seq: number, member: Member): void {
    const h = this.handed.get(seq);
    if (h === undefined) return;
    h.listener.members.delete(member.worker.id);
    this.acknowledged(seq, false);
  }

  private acknowledged(seq: number, accepted: boolean): void {
    const h = this.handed.get(seq);
    if (h === undefined) return;
    this.handed.delete(seq);
    if (accepted) {
      // The worker holds the connection now: closing this copy sends nothing to the client.
      h.socket.close();
      return;
    }
    h.listener.members.delete(h.workerId);
    if (this.listeners.get(h.listener.key) === h.listener) this.route(h.listener, h.socket);
    else h.socket.close();
    this.closeIfUnused(h.listener);
  }
}

function reply(worker: Worker, message: StickyToWorker): void {
  try {
    worker.send(message);
  } catch {
    /* disconnected: it has left */
  }
}
