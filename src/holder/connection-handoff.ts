import { readNetRows, socketFds } from '../procfs/net.js';
import { childrenOf } from '../procfs/system.js';
import net from 'node:net';
import { loadLibc, type Libc } from '../spawner/libc.js';

/**
 * Keep-alive connections survive a `--listen` reload. A retiring server (uvicorn, Go's
 * Server.Shutdown) closes its idle keep-alive connections at once, and a request a client sent
 * on one at that instant was reset. So before the old process gets its stop signal, the holder
 * takes a copy (pidfd_getfd) of every TCP connection it (or a descendant, as gunicorn's workers)
 * accepted from a held socket, and keeps taking new ones until it exits. The holder never reads
 * them while the process lives; its close() then only drops its own reference, so no FIN and
 * no reset reach the client. Once the process has exited on its own (it answered what it read),
 * whatever the client sends next goes, byte for byte, through a new connection to the same
 * address, which the new process accepts. A process killed by a signal may have died mid-response:
 * its copies are closed, as before.
 */

const ESTABLISHED = '01';
const RETAKE_MS = 20;
const MAX_TAKEN = 4096;
const IDLE_MS = 1000;

export interface Handoff {
  /** The process exited: forward (`graceful`) or close what was taken. */
  finish(graceful: boolean): void;
}

/** Starts taking `pid`'s connections accepted on `ports`; null when nothing can be taken here. */
export function startHandoff(pid: number, ports: number[]): Handoff | null {
  const libc = loadLibc();
  if (libc === null || ports.length === 0) return null;
  const taken = new Map<number, number>(); // socket inode → our fd
  const take = (): void => takeConnections(libc, pid, new Set(ports), taken);
  take();
  const timer = setInterval(take, RETAKE_MS);
  timer.unref();
  return {
    finish(graceful) {
      clearInterval(timer);
      for (const fd of taken.values()) {
        if (graceful) forward(fd, libc);
        else libc.close(fd);
      }
      taken.clear();
    },
  };
}

function takeConnections(libc: Libc, pid: number, ports: Set<number>, taken: Map<number, number>): void {
  const conns = acceptedInodes(ports);
  if (conns.size === 0) return;
  for (const p of [pid, ...descendants(pid)]) {
    const own = libc.pidfdOpen(p);
    if (own < 0) continue;
    try {
      for (const { fd, inode } of socketFds(p)) {
        if (!conns.has(inode) || taken.has(inode) || taken.size >= MAX_TAKEN) continue;
        const copy = libc.pidfdGetfd(own, fd);
        if (copy >= 0) taken.set(inode, copy);
      }
    } finally {
      libc.close(own);
    }
  }
}

/** Inodes of established TCP connections whose local port is one of the held ones. */
function acceptedInodes(ports: Set<number>): Set<number> {
  const out = new Set<number>();
  for (const row of readNetRows(['tcp'])) if (row.state === ESTABLISHED && ports.has(row.localPort)) out.add(row.inode);
  return out;
}

/** Every process under `pid` (breadth first, at most 1,024). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < 1024) {
    for (const c of childrenOf(queue.shift() as number)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * The client's connection, now only ours, continues through a new connection to the same
 * address once the client sends something. One that stays quiet for IDLE_MS is closed: it was an
 * idle keep-alive connection, or one the old process answered with a close-delimited response
 * and whose end (EOF) the client is waiting for.
 */
function forward(fd: number, libc: Libc): void {
  let client: net.Socket;
  try {
    client = new net.Socket({ fd, readable: true, writable: true });
  } catch {
    libc.close(fd);
    return;
  }
  const host = client.localAddress;
  const port = client.localPort;
  if (host === undefined || port === undefined) {
    client.destroy();
    return;
  }
  let upstream: net.Socket | null = null;
  const end = (): void => {
    client.destroy();
    upstream?.destroy();
  };
  const idle = setTimeout(() => client.end(), IDLE_MS);
  idle.unref();
  client.on('error', end);
  client.on('close', () => {
    clearTimeout(idle);
    end();
  });
  client.once('data', (first: Buffer) => {
    clearTimeout(idle);
    client.pause();
    const up = net.connect({ host, port, noDelay: true }, () => {
      up.write(first);
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
    upstream = up;
    up.on('error', end);
    up.on('close', end);
  });
}
