import { createRequire } from 'node:module';
import { isIP } from 'node:net';

// node:crypto loads on the first token check (the dashboard is on), not with the daemon.
const lazyRequire = createRequire(import.meta.url);

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The Host header values a request may carry (DNS rebinding: a page from evil.example whose name
 * now resolves to 127.0.0.1 still sends `Host: evil.example`). For a wildcard bind (0.0.0.0, ::)
 * any IP literal with the right port is accepted; names are not.
 */
export function hostAllowed(header: string | undefined, boundHost: string, port: number): boolean {
  if (header === undefined) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(header.trim());
  if (m === null) return false;
  const name = (m[1] as string).replace(/^\[|\]$/g, '').toLowerCase();
  const p = m[2] === undefined ? 80 : Number(m[2]);
  if (p !== port) return false;
  const bound = boundHost.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === bound) return true;
  if (isLoopback(bound)) return isLoopback(name);
  if (bound === '0.0.0.0' || bound === '::') return isIP(name) !== 0;
  return false;
}

/** Compares a presented token with the real one in constant time. */
export function tokenMatches(presented: string | null, token: string): boolean {
  if (presented === null) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && (lazyRequire('node:crypto') as typeof import('node:crypto')).timingSafeEqual(a, b);
}

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearer(header: string | undefined): string | null {
  const m = /^Bearer ([A-Za-z0-9_-]{16,200})$/.exec(header ?? '');
  return m === null ? null : (m[1] as string);
}

/** Headers on every answer: no framing, no sniffing, no referrer, scripts only from this origin. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};
