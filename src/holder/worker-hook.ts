import cluster from 'node:cluster';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type net from 'node:net';
import { installInheritedListen } from './inherited-listen.js';
import { installSticky } from './sticky-worker.js';

/**
 * Loaded into each cluster worker and each fork-mode Node app (`node --require`) so that a
 * reload drains keep-alive connections without a reset. It changes nothing until the process is
 * retired.
 *
 * Why: node:cluster retires a worker by closing its servers, and an HTTP server's close() also
 * closes its idle keep-alive connections at once; a client that sends its next request on such a
 * connection at that instant gets ECONNRESET (the requests PM2's reload drops). Instead, on
 * retirement each server stops accepting (out of rotation) but keeps its open connections, and
 * every request that still arrives on one is answered with `Connection: close`, so each
 * connection ends right after a complete response. Servers are found through Node's
 * `http.server.request.start` diagnostics channel (and, in a fork-mode app, as they listen: see
 * inherited-listen.ts). A fork-mode app then says `{tend: 'drained'}` once every connection
 * ended, and the daemon stops it.
 *
 * For a `sticky` app it also routes the workers' TCP listens through the holder (sticky-worker.ts);
 * those servers are known from their listen on.
 */
const servers = new Set<Server | net.Server>();
let retiring = false;

installSticky((server) => servers.add(server as Server));

subscribe('http.server.request.start', (message) => {
  const { server, response } = message as { server: Server; request: IncomingMessage; response: ServerResponse };
  if (retiring) response.shouldKeepAlive = false;
  else servers.add(server);
});

/**
 * A reload's new process (it was handed sockets) until the daemon makes it the app's process
 * (`accepted`): if the daemon dies before that, the next one knows only the old process, and
 * nobody would ever stop this one, so it stops itself.
 */
let candidate = cluster.isPrimary && process.env.TEND_INHERITED_FDS !== undefined;
if (cluster.isPrimary) installInheritedListen({ onServer: (server) => servers.add(server) });

/**
 * Node keeps a process alive while its IPC channel has a 'message' or 'disconnect' listener: the
 * hook's own must not keep a fork-mode app alive that would exit (a task that is done); the app's
 * own listeners still count. (A cluster worker's lifetime is node:cluster's business.)
 */
function unrefOwnListener(): void {
  (process.channel as { unrefCounted?: () => void } | undefined)?.unrefCounted?.();
}

process.on('message', (msg: unknown) => {
  const what = typeof msg === 'object' && msg !== null ? (msg as { tend?: unknown }).tend : undefined;
  if (what === 'accepted') candidate = false;
  if (what !== 'retire') return;
  retiring = true;
  // A retired fork-mode app whose daemon is gone (killed mid-drain) has nobody left to stop it.
  if (cluster.isPrimary) {
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    unrefOwnListener();
  }
  let open = 0;
  const closed = (): void => {
    open -= 1;
    if (open === 0 && cluster.isPrimary) process.send?.({ tend: 'drained' });
  };
  open += 1;
  for (const server of servers) {
    // Keep idle keep-alive connections: each one ends after its next response (above), or at
    // the server's keepAliveTimeout like any idle connection.
    if ('closeIdleConnections' in server) server.closeIdleConnections = () => undefined;
    if (!server.listening) continue;
    open += 1;
    server.close(closed);
  }
  closed();
});
if (cluster.isPrimary) unrefOwnListener();
if (candidate) {
  process.once('disconnect', () => {
    if (candidate) process.kill(process.pid, 'SIGTERM');
  });
  unrefOwnListener();
}
