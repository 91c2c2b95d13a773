import { closeSync } from 'node:fs';
import net from 'node:net';

/**
 * Part of the hook loaded into a fork-mode Node app (see worker-hook.ts). On a zero-downtime
 * reload the daemon starts the new process with copies of the old one's listening sockets
 * (TEND_INHERITED_FDS: `[{fd, port}]`), so the port never closes. Here, the app's own
 * `server.listen(port)` on such a port takes the inherited socket instead of binding (which would
 * fail with EADDRINUSE while the old process still serves), and the daemon is told once the app
 * listens (`{tend: 'listening', port}`): that is when it is ready to take traffic. An inherited
 * socket the app never listens on is closed after CLAIM_MS, so a port the new version dropped
 * does not stay open with nobody accepting.
 */
const VAR = 'TEND_INHERITED_FDS';
const CLAIM_MS = 30_000;

export interface InheritedListenOptions {
  /** Every server that listens (the retire step closes them all). */
  onServer(server: net.Server): void;
}

export function installInheritedListen(opts: InheritedListenOptions): void {
  const inherited = parse(process.env[VAR]);
  // The app's own children (child_process.fork) must not take these for themselves.
  delete process.env[VAR];
  const unclaimed = new Map(inherited.map((s) => [s.port, s.fd]));
  const original = net.Server.prototype.listen;
  net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]): net.Server {
    opts.onServer(this);
    const port = portOf(args);
    // A port of the system's choosing cannot be handed over (the new one gets another): the
    // daemon is told it listens, so it stops waiting for the old process's ephemeral ports.
    if (asksEphemeral(args)) this.once('listening', () => process.send?.({ tend: 'listening', port: 0 }));
    const fd = port === null ? undefined : unclaimed.get(port);
    if (fd === undefined || port === null) return original.apply(this, args as Parameters<typeof original>);
    unclaimed.delete(port);
    const done = args.find((a): a is () => void => typeof a === 'function');
    this.once('listening', () => process.send?.({ tend: 'listening', port }));
    return original.call(this, { fd }, done);
  };
  if (unclaimed.size > 0) {
    setTimeout(() => {
      for (const fd of unclaimed.values()) closeQuietly(fd);
      unclaimed.clear();
    }, CLAIM_MS).unref();
  }
}

function parse(text: string | undefined): Array<{ fd: number; port: number }> {
  if (text === undefined) return [];
  try {
    const list: unknown = JSON.parse(text);
    if (!Array.isArray(list)) return [];
    return list.filter(
      (x): x is { fd: number; port: number } =>
        typeof x === 'object' &&
        x !== null &&
        Number.isInteger((x as { fd?: unknown }).fd) &&
        Number.isInteger((x as { port?: unknown }).port),
    );
  } catch {
    return [];
  }
}

/** The TCP port a listen() call asks for: `listen(port, …)`, `listen('3000')` or `listen({port})`; null otherwise. */
function portOf(args: unknown[]): number | null {
  const first = args[0];
  const raw = typeof first === 'object' && first !== null ? (first as { port?: unknown }).port : first;
  const port = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  return typeof port === 'number' && Number.isInteger(port) && port > 0 ? port : null;
}

/** Whether a listen() call asks for a TCP port of the system's choosing: `listen()`, `listen(0)`, `listen({port: 0})`. */
function asksEphemeral(args: unknown[]): boolean {
  const first = args[0];
  if (first === undefined || typeof first === 'function') return true;
  if (first === 0 || first === '0') return true;
  if (typeof first !== 'object' || first === null) return false;
  const o = first as { port?: unknown; path?: unknown; fd?: unknown; handle?: unknown; _handle?: unknown };
  const noOther = o.path === undefined && o.fd === undefined && o.handle === undefined && o._handle === undefined;
  return noOther && (o.port === undefined || o.port === 0 || o.port === '0');
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
