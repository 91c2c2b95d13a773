import { createServer } from 'node:net';
import { TendError, invalidValue } from '../errors.js';

/** One socket of a `listen` list, parsed. */
export type ListenAddress = { kind: 'tcp'; host: string | null; port: number; text: string } | { kind: 'unix'; path: string; text: string };

/**
 * Parses a `listen` entry: `8080` (every interface), `127.0.0.1:8080`, `[::1]:8080`,
 * `localhost:8080`, `unix:/run/app.sock` (or an absolute path). Throws the usual
 * "Expected … got …" error naming the key.
 */
export function parseListenAddress(text: string, key = 'listen'): ListenAddress {
  const value = text.trim();
  const bad = (): never => {
    throw invalidValue(key, 'a port (`8080`), `host:port` (`127.0.0.1:8080`, `[::1]:8080`) or `unix:/path.sock`', text);
  };
  if (value.startsWith('unix:') || value.startsWith('/')) {
    const path = value.startsWith('unix:') ? value.slice(5) : value;
    // sun_path holds 107 bytes plus the terminating NUL.
    if (!path.startsWith('/') || Buffer.byteLength(path) > 107) bad();
    return { kind: 'unix', path, text: `unix:${path}` };
  }
  let host: string | null = null;
  let portText = value;
  const bracket = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(value);
  if (bracket !== null) {
    host = bracket[1] as string;
    portText = bracket[2] as string;
  } else if (value.includes(':')) {
    const at = value.lastIndexOf(':');
    host = value.slice(0, at);
    portText = value.slice(at + 1);
    if (host.includes(':') || !/^[A-Za-z0-9.-]+$/.test(host)) bad();
  }
  if (!/^\d{1,5}$/.test(portText)) bad();
  const port = Number(portText);
  if (port < 1 || port > 65535) bad();
  return { kind: 'tcp', host, port, text: host === null ? String(port) : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}

/** PM2's instance counts: n, 0 or `max` = one per CPU, -n = CPUs minus n; at least one. */
export function resolveInstanceCount(instances: number, cpus: number): number {
  if (instances > 0) return instances;
  return Math.max(1, cpus + instances);
}

/** The one-line error for a `listen` address another socket holds (daemon and holder alike). */
export function portInUseError(address: ListenAddress & { kind: 'tcp' }): TendError {
  return new TendError('E_PORT_IN_USE', `cannot listen on ${address.text}: port ${address.port} is already in use`, {
    hint: `Stop what holds it (ss -ltnp 'sport = :${address.port}') or choose another port`,
  });
}

/**
 * Fails with E_PORT_IN_USE when a TCP address of `listen` cannot be bound now (binds, then lets
 * go at once), so `tend start` says so instead of starting an app that cannot serve.
 */
export async function checkPortsFree(listen: readonly string[]): Promise<void> {
  for (const text of listen) {
    const a = parseListenAddress(text);
    if (a.kind !== 'tcp') continue;
    const host = a.host === 'localhost' ? '127.0.0.1' : (a.host ?? undefined);
    const code = await new Promise<string | null>((resolve) => {
      const probe = createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      probe.listen({ port: a.port, host, exclusive: true }, () => probe.close(() => resolve(null)));
    });
    if (code === 'EADDRINUSE') throw portInUseError(a);
  }
}
