import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TendError } from '../errors.js';
import type { Handlers } from '../rpc/server.js';
import { routeApi, type ApiDeps } from './api-routes.js';
import { loadAssets, type Asset } from './static-assets.js';
import { SECURITY_HEADERS, bearer, hostAllowed, tokenMatches } from './security.js';
import { applyConnectionLimits, guardBody, httpLimitsFromEnv, serverOptions, type HttpLimits } from './http-limits.js';
import { asTendError, plain, replyError, statusOf } from './replies.js';

export interface WebServerDeps extends Omit<ApiDeps, 'handlers'> {
  handlers: Handlers;
  log(event: string, data: Record<string, unknown>): void;
  /** What one client may hold (connections, deadlines, body size); TEND_WEB_* variables by default. */
  limits?: HttpLimits;
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
  private readonly limits: HttpLimits;
  private readonly lastLogged = new Map<string, number>();

  constructor(private readonly deps: WebServerDeps) {
    this.limits = deps.limits ?? httpLimitsFromEnv(process.env);
  }

  get listening(): Listening | null {
    return this.bound;
  }

  /** Resolves once the port is bound; rejects (E_WEB_LISTEN) when it cannot be. */
  async start(host: string, port: number, token: string): Promise<Listening> {
    await this.close();
    this.assets ??= loadAssets();
    this.token = token;
    const server = createServer(serverOptions(this.limits), (req, res) => this.onRequest(req, res));
    applyConnectionLimits(server, this.limits);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE'
            ? `port ${port} is in use`
            : err.code === 'EADDRNOTAVAIL'
              ? `${host} is not an address of this machine`
              : err.message;
        reject(
          new TendError('E_WEB_LISTEN', `the dashboard cannot listen on ${host}:${port}: ${why}`, {
            hint: 'Pick another one: tend web --port 9616',
          }),
        );
      });
      server.listen(port, host, () => resolve());
    });
    // After listening, an error (accept failing with EMFILE, say) is logged, never thrown: with
    // no listener Node would throw it out of the daemon.
    server.on('error', (err: NodeJS.ErrnoException) => this.logOnce('web-server-error', { error: err.message, code: err.code }));
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

  /**
   * The server's edge: nothing a request carries may throw out of here (a bug answers 500 and is
   * logged; the daemon and its apps carry on).
   */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.handle(req, res);
    } catch (err) {
      this.fail(res, err);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    // Until the token is seen, the connection is not kept for another request.
    const refuse = (status: number, text: string): void => {
      res.setHeader('connection', 'close');
      plain(res, status, text);
    };
    if (guardBody(req, res, this.limits, refuse)) return;
    const bound = this.bound;
    if (bound === null || !hostAllowed(req.headers.host, bound.host, bound.port)) return refuse(403, 'Host not allowed\n');
    const url = parseTarget(req.url);
    if (url === null) return refuse(400, 'Bad request target: expected a path such as /api/processes\n');
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) return this.asset(res, 'index.html');
    if (req.method === 'GET' && path.startsWith('/assets/')) return this.asset(res, path.slice('/assets/'.length));
    if (!tokenMatches(bearer(req.headers.authorization), this.token)) {
      res.setHeader('www-authenticate', 'Bearer realm="tend"');
      return refuse(401, 'Unauthorized\n');
    }
    // Actions come from our own page or from scripts (no Origin); never from another site.
    const origin = req.headers.origin;
    if (req.method === 'POST' && origin !== undefined && !hostAllowed(origin.replace(/^https?:\/\//, ''), bound.host, bound.port))
      return plain(res, 403, 'Origin not allowed\n');
    res.setHeader('cache-control', 'no-store');
    routeApi(req, res, url, { ...this.deps }).catch((err: unknown) => this.fail(res, err));
  }

  /** An error answer: the TendError's status, or 500 (logged) for anything unexpected. */
  private fail(res: ServerResponse, err: unknown): void {
    const e = asTendError(err);
    if (statusOf(e.code) === 500)
      this.logOnce('web-request-failed', { error: e.message, stack: (err as Error)?.stack?.split('\n').slice(0, 4).join(' | ') });
    replyError(res, e);
  }

  /** Logs at most one line a second of the same kind (a flood must not flood the daemon log). */
  private logOnce(event: string, data: Record<string, unknown>): void {
    const now = Date.now();
    if (now - (this.lastLogged.get(event) ?? 0) < 1000) return;
    this.lastLogged.set(event, now);
    this.deps.log(event, data);
  }

  private asset(res: ServerResponse, name: string): void {
    const a = this.assets?.get(name);
    if (a === undefined) return plain(res, 404, 'Not found\n');
    res.writeHead(200, { 'content-type': a.type, 'content-length': a.body.length, 'cache-control': 'no-cache' });
    res.end(a.body);
  }
}

/**
 * The request target as a URL, or null when it is not one this server serves. Only the origin
 * form (`/path?query`) is: the absolute form (`http://host/…`) is for proxies, and parsing a
 * hostile one (`http://[`) throws.
 */
export function parseTarget(target: string | undefined): URL | null {
  if (target === undefined || !target.startsWith('/')) return null;
  try {
    // A fixed origin in front: `//[` stays a path, never an authority.
    return new URL(`http://tend.invalid${target}`);
  } catch {
    return null;
  }
}
