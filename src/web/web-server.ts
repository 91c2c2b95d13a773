import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TendError } from '../errors.js';
import type { Handlers } from '../rpc/server.js';
import { routeApi, type ApiDeps } from './api-routes.js';
import { loadAssets, type Asset } from './static-assets.js';
import { SECURITY_HEADERS, bearer, hostAllowed, tokenMatches } from './security.js';
import { plain, replyError } from './replies.js';

export interface WebServerDeps extends Omit<ApiDeps, 'handlers'> {
  handlers: Handlers;
  log(event: string, data: Record<string, unknown>): void;
}

export interface Listening {
  host: string;
  port: number;
  url: string;
}

/**
 * The dashboard, the JSON API, server-sent events and /metrics, served by the daemon. Every byte
 * of data needs the token (Authorization: Bearer); only the page's own files are public, and
 * they hold no data. The Host header must name the bound address (DNS rebinding).
 */
export class WebServer {
  private server: Server | null = null;
  private assets: Map<string, Asset> | null = null;
  private bound: Listening | null = null;
  private token = '';

  constructor(private readonly deps: WebServerDeps) {}

  get listening(): Listening | null {
    return this.bound;
  }

  /** Resolves once the port is bound; rejects (E_WEB_LISTEN) when it cannot be. */
  async start(host: string, port: number, token: string): Promise<Listening> {
    await this.close();
    this.assets ??= loadAssets();
    this.token = token;
    const server = createServer((req, res) => this.onRequest(req, res));
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? `port ${port} is in use` : err.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine` : err.message;
        reject(new TendError('E_WEB_LISTEN', `the dashboard cannot listen on ${host}:${port}: ${why}`, { hint: 'Pick another one: tend web --port 9616' }));
      });
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
    this.server = server;
    const shown = host.includes(':') ? `[${host}]` : host;
    this.bound = { host, port: actual, url: `http://${shown}:${actual}/` };
    this.deps.log('web-listening', { host, port: actual });
    return this.bound;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.bound = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const bound = this.bound;
    if (bound === null || !hostAllowed(req.headers.host, bound.host, bound.port)) return plain(res, 403, 'Host not allowed\n');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) return this.asset(res, 'index.html');
    if (req.method === 'GET' && path.startsWith('/assets/')) return this.asset(res, path.slice('/assets/'.length));
    if (!tokenMatches(bearer(req.headers.authorization), this.token)) {
      res.setHeader('www-authenticate', 'Bearer realm="tend"');
      return plain(res, 401, 'Unauthorized\n');
    }
    // Actions come from our own page or from scripts (no Origin); never from another site.
    const origin = req.headers.origin;
    if (req.method === 'POST' && origin !== undefined && !hostAllowed(origin.replace(/^https?:\/\//, ''), bound.host, bound.port)) return plain(res, 403, 'Origin not allowed\n');
    res.setHeader('cache-control', 'no-store');
    routeApi(req, res, url, { ...this.deps }).catch((err: unknown) => replyError(res, err));
  }

  private asset(res: ServerResponse, name: string): void {
    const a = this.assets?.get(name);
    if (a === undefined) return plain(res, 404, 'Not found\n');
    res.writeHead(200, { 'content-type': a.type, 'content-length': a.body.length, 'cache-control': 'no-cache' });
    res.end(a.body);
  }
}
