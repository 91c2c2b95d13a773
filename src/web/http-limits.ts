import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What one client of the dashboard port may hold. Any local user can connect to it, token or
 * not, so nothing they do may take the daemon's file descriptors, memory or time away from
 * supervision: connections past the cap are closed at once, a connection must send its whole
 * request head (which carries the token) within `headersTimeoutMs` of opening, an idle
 * keep-alive connection is closed after `keepAliveTimeoutMs`, and a request body (no route
 * needs one) larger than `maxBodyBytes` is refused with 413 and the connection closed.
 */
export interface HttpLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxBodyBytes: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxConnections: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxBodyBytes: 64 * 1024,
};

/** How often Node checks the two request deadlines (its default, 30 s, would let a flood linger). */
const CHECK_INTERVAL_MS = 1_000;

const ENV_NAMES: Record<keyof HttpLimits, string> = {
  maxConnections: 'TEND_WEB_MAX_CONNECTIONS',
  headersTimeoutMs: 'TEND_WEB_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'TEND_WEB_REQUEST_TIMEOUT_MS',
  keepAliveTimeoutMs: 'TEND_WEB_KEEPALIVE_TIMEOUT_MS',
  maxBodyBytes: 'TEND_WEB_MAX_BODY_BYTES',
};

/** The limits, each lowered or raised by its TEND_WEB_* variable (a positive integer; else the default). */
export function httpLimitsFromEnv(env: NodeJS.ProcessEnv): HttpLimits {
  const out = { ...DEFAULT_HTTP_LIMITS };
  for (const key of Object.keys(ENV_NAMES) as Array<keyof HttpLimits>) {
    const v = Number(env[ENV_NAMES[key]]);
    if (Number.isSafeInteger(v) && v > 0) out[key] = v;
  }
  // Node requires the head deadline to be no longer than the whole request's.
  out.requestTimeoutMs = Math.max(out.requestTimeoutMs, out.headersTimeoutMs);
  return out;
}

/** Options for http.createServer that hold the deadlines; the cap is set by applyConnectionCap. */
export function serverOptions(l: HttpLimits): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, l.headersTimeoutMs),
  };
}

/**
 * The connection cap, and the first request's deadline: Node's head deadline starts at the
 * first byte, so a connection that never sends one would otherwise be held for ever.
 */
export function applyConnectionLimits(server: Server, l: HttpLimits): void {
  server.maxConnections = l.maxConnections;
  const waiting = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), l.headersTimeoutMs);
    timer.unref();
    waiting.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => {
    const timer = waiting.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    waiting.delete(req.socket);
  });
}

/**
 * Refuses a body over the limit: at once when Content-Length says so, else as soon as the bytes
 * read pass it. True when the request was refused (the caller answers nothing more).
 */
export function guardBody(
  req: IncomingMessage,
  res: ServerResponse,
  l: HttpLimits,
  refuse: (status: number, text: string) => void,
): boolean {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > l.maxBodyBytes) {
    refuse(413, `Request body too large (limit ${l.maxBodyBytes} bytes)\n`);
    return true;
  }
  let got = 0;
  req.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got <= l.maxBodyBytes) return;
    req.removeAllListeners('data');
    req.pause();
    if (!res.headersSent) refuse(413, `Request body too large (limit ${l.maxBodyBytes} bytes)\n`);
    else req.socket.destroy();
  });
  return false;
}
