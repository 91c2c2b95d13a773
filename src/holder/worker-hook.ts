import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { installSticky } from './sticky-worker.js';

/**
 * Loaded into each cluster worker (`node --require`) so that a reload drains keep-alive
 * connections without a reset. It changes nothing until the holder retires the worker.
 *
 * Why: node:cluster retires a worker by closing its servers, and an HTTP server's close() also
 * closes its idle keep-alive connections at once; a client that sends its next request on such a
 * connection at that instant gets ECONNRESET (the requests PM2's reload drops). Instead, on
 * retirement each server stops accepting (out of rotation) but keeps its open connections, and
 * every request that still arrives on one is answered with `Connection: close`, so each
 * connection ends right after a complete response. Servers are found through Node's
 * `http.server.request.start` diagnostics channel: no patching of the app's modules.
 *
 * For a `sticky` app it also routes the workers' TCP listens through the holder (sticky-worker.ts);
 * those servers are known from their listen on.
 */
const servers = new Set<Server>();
let retiring = false;

installSticky((server) => servers.add(server as Server));

subscribe('http.server.request.start', (message) => {
  const { server, response } = message as { server: Server; request: IncomingMessage; response: ServerResponse };
  if (retiring) response.shouldKeepAlive = false;
  else servers.add(server);
});

process.on('message', (msg: unknown) => {
  if (typeof msg !== 'object' || msg === null || (msg as { tend?: unknown }).tend !== 'retire') return;
  retiring = true;
  for (const server of servers) {
    // Keep idle keep-alive connections: each one ends after its next response (above), or at
    // the server's keepAliveTimeout like any idle connection.
    server.closeIdleConnections = () => undefined;
    if (server.listening) server.close();
  }
});
