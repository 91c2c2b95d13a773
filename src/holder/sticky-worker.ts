import cluster from 'node:cluster';
import type { Server } from 'node:net';
import { constants } from 'node:os';
import { STICKY_ENV, stickyMessage, type StickyAddress, type StickyToPrimary, type StickyToWorker } from './sticky-messages.js';

/** What net.Server asks node:cluster when it listens in a worker (net.js `listenInCluster`). */
interface ServerQuery {
  address: string | null;
  port: number | null;
  addressType: number | string;
  fd?: number;
  flags?: number;
  backlog?: number;
}
type GetServer = (obj: unknown, query: ServerQuery, cb: (errno: number, handle: unknown) => void) => void;

/** The listening handle a worker's server gets: connections arrive through `onconnection`. */
interface StickyHandle {
  onconnection?: (err: number, handle: unknown) => void;
  listen(): number;
  close(): void;
  ref(): void;
  unref(): void;
  getsockname(out: Partial<StickyAddress>): number;
}

const EINVAL = -constants.errno.EINVAL;

/**
 * Worker side of sticky sessions (sticky-router.ts has the why). A server's TCP listen in a
 * worker goes through node:cluster's `_getServer`, the one place net.Server asks the primary for
 * its handle: for a sticky app it asks the holder's router instead, and gets a handle that
 * receives the connections the router picked for this worker, the way node:cluster's own
 * round-robin handle does. Everything else about the server is Node's own (argument handling,
 * host lookup, `listening` and `error` events, `address()`, `close()`); pipes, fds and UDP
 * sockets keep node:cluster's path. Does nothing unless the holder set TEND_STICKY=1, which is
 * removed before the app runs.
 */
export function installSticky(onServer: (server: Server) => void): void {
  if (process.env[STICKY_ENV] === undefined) return;
  delete process.env[STICKY_ENV];
  if (!cluster.isWorker || typeof process.send !== 'function') return;
  const c = cluster as unknown as { _getServer: GetServer };
  const original = c._getServer;
  c._getServer = function (this: unknown, obj, query, cb) {
    const tcp = (query.addressType === 4 || query.addressType === 6) && typeof query.port === 'number' && query.port >= 0;
    if (!tcp || (typeof query.fd === 'number' && query.fd >= 0)) return original.call(this, obj, query, cb);
    listen(obj as Server, query, (errno, handle) => {
      if (handle !== null) onServer(obj as Server);
      cb(errno, handle);
    });
  };
  process.on('message', (msg: unknown, socket: unknown) => {
    const m = stickyMessage<StickyToWorker>(msg);
    if (m?.tend === 'sticky-listening') {
      const done = waiting.get(m.id);
      waiting.delete(m.id);
      done?.(m);
    } else if (m?.tend === 'sticky-conn') connection(m, socket);
  });
}

/** Listening addresses of this worker, by key: each one's handle and server. */
const handles = new Map<string, { handle: StickyHandle; server: Server }>();
/** Indexes in use per address (a worker may listen twice on one address, as with node:cluster). */
const used = new Map<string, Set<number>>();
const waiting = new Map<number, (reply: Extract<StickyToWorker, { tend: 'sticky-listening' }>) => void>();
let nextId = 0;

function send(m: StickyToPrimary): void {
  if (process.connected) process.send?.(m);
}

/** Asks the primary for the address; answers with its listening handle, or the errno of its failure. */
function listen(server: Server, query: ServerQuery, cb: (errno: number, handle: StickyHandle | null) => void): void {
  // Like node:cluster, a worker may listen twice on one address (port 0 twice: two ports).
  const base = `${query.address ?? ''}:${query.port}:${query.addressType}`;
  const indexes = used.get(base) ?? new Set<number>();
  used.set(base, indexes);
  let index = 0;
  while (indexes.has(index)) index++;
  indexes.add(index);
  const key = `${base}:${index}`;
  const id = ++nextId;
  waiting.set(id, (reply) => {
    if (reply.errno !== 0 || reply.sockname === null) {
      indexes.delete(index);
      cb(reply.errno !== 0 ? reply.errno : EINVAL, null);
      return;
    }
    const handle = listeningHandle(reply.sockname, () => {
      handles.delete(key);
      indexes.delete(index);
      send({ tend: 'sticky-close', key });
    });
    handles.set(key, { handle, server });
    cb(0, handle);
  });
  send({
    tend: 'sticky-listen',
    id,
    key,
    address: query.address,
    port: query.port as number,
    addressType: query.addressType as number,
    flags: query.flags ?? 0,
    backlog: query.backlog ?? 511,
  });
}

/** What net.Server needs of a listening handle, as node:cluster's round-robin handle gives it. */
function listeningHandle(sockname: StickyAddress, close: () => void): StickyHandle {
  return {
    listen: () => 0,
    close,
    ref: () => undefined,
    unref: () => undefined,
    getsockname: (out) => {
      Object.assign(out, sockname);
      return 0;
    },
  };
}

/** As node:cluster's worker takes a connection: acknowledge, then hand it to the server. */
function connection(m: Extract<StickyToWorker, { tend: 'sticky-conn' }>, socket: unknown): void {
  const entry = handles.get(m.key);
  const server = entry?.server as (Server & { _connections?: number }) | undefined;
  let accepted = entry?.handle.onconnection !== undefined && socket !== undefined;
  if (accepted && server !== undefined && typeof server.maxConnections === 'number' && (server._connections ?? 0) >= server.maxConnections)
    accepted = false;
  send({ tend: 'sticky-ack', seq: m.seq, accepted });
  const raw = socket as { close?: () => void } | undefined;
  if (accepted) entry?.handle.onconnection?.(0, raw);
  else raw?.close?.();
}
