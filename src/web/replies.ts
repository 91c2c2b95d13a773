import type { ServerResponse } from 'node:http';
import { TendError, isTendError } from '../errors.js';

// How the web server answers: plain text, JSON, and a typed error with its HTTP status. Used by
// the server (web-server.ts) and its routes (api-routes.ts) alike.

export function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The TendError an error answers as: a bad percent-encoding is the client's fault (400). */
export function asTendError(err: unknown): TendError {
  if (isTendError(err)) return err;
  if (err instanceof URIError) return new TendError('E_USAGE', `bad percent-encoding in the URL: ${err.message}`);
  return new TendError('E_INTERNAL', (err as Error)?.message ?? String(err));
}

/** The HTTP status of an error code: 404, 400, 409, else 500. */
export function statusOf(code: string): number {
  if (code === 'E_APP_NOT_FOUND') return 404;
  if (code === 'E_USAGE' || code === 'E_INVALID_VALUE') return 400;
  if (code === 'E_NOT_RUNNING') return 409;
  return 500;
}

/** A failed request: its error as JSON with the status its code means; a broken socket is closed. */
export function replyError(res: ServerResponse, err: unknown): void {
  const e = asTendError(err);
  try {
    if (!res.headersSent) json(res, statusOf(e.code), { error: e.toWire() });
    else res.end();
  } catch {
    res.destroy();
  }
}
