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

/** A failed request: its error as JSON with the status its code means (404, 400, 409, else 500). */
export function replyError(res: ServerResponse, err: unknown): void {
  const e = isTendError(err) ? err : new TendError('E_INTERNAL', (err as Error)?.message ?? String(err));
  const status = e.code === 'E_APP_NOT_FOUND' ? 404 : e.code === 'E_USAGE' || e.code === 'E_INVALID_VALUE' ? 400 : e.code === 'E_NOT_RUNNING' ? 409 : 500;
  if (!res.headersSent) json(res, status, { error: e.toWire() });
  else res.end();
}
