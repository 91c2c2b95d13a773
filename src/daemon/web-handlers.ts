import { isIP } from 'node:net';
import { TendError } from '../errors.js';
import type { WebStatus } from '../protocol/methods.js';
import type { Handlers } from '../rpc/server.js';
import type { WebServer } from '../web/web-server.js';
import { isLoopback } from '../web/security.js';
import {
  DEFAULT_WEB_HOST,
  DEFAULT_WEB_PORT,
  loadOrCreateToken,
  readWebConfig,
  removeWebConfig,
  writeWebConfig,
} from '../web/web-config.js';

export interface WebControl {
  /** Builds the server on first use (node:http loads only when the dashboard is wanted). */
  server(): Promise<WebServer>;
  current(): WebServer | null;
  home: string;
  log(event: string, data: Record<string, unknown>): void;
}

function checkHost(host: unknown): string {
  if (host === undefined) return DEFAULT_WEB_HOST;
  if (typeof host === 'string' && (host === 'localhost' || isIP(host.replace(/^\[|\]$/g, '')) !== 0)) return host.replace(/^\[|\]$/g, '');
  throw new TendError(
    'E_INVALID_VALUE',
    `Expected \`--host\` to be an IP address of this machine or \`localhost\`, got \`${String(host)}\``,
    { hint: 'Example: --host 127.0.0.1 (the default) or --host 0.0.0.0 to be reachable from the network' },
  );
}

function checkPort(port: unknown): number {
  if (port === undefined) return DEFAULT_WEB_PORT;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  throw new TendError('E_INVALID_VALUE', `Expected \`--port\` to be a port number (0-65535), got \`${String(port)}\``, {
    hint: 'Example: --port 9615',
  });
}

async function serve(ctl: WebControl, host: string, port: number): Promise<WebStatus> {
  const token = loadOrCreateToken(ctl.home);
  const web = await ctl.server();
  const now = web.listening;
  const l = now !== null && now.host === host && (port === 0 || now.port === port) ? now : await web.start(host, port, token);
  return { url: l.url, host: l.host, port: l.port, token, loopback: isLoopback(l.host) };
}

/** web.start / web.stop / web.status. */
export function createWebHandlers(ctl: WebControl): Pick<Handlers, 'web.start' | 'web.stop' | 'web.status'> {
  return {
    'web.start': async (p) => {
      const status = await serve(ctl, checkHost(p.host), checkPort(p.port));
      writeWebConfig(ctl.home, status.host, status.port);
      return status;
    },
    'web.stop': async () => {
      const web = ctl.current();
      const was = web?.listening != null || readWebConfig(ctl.home) !== null;
      removeWebConfig(ctl.home);
      await web?.close();
      return { stopped: was };
    },
    'web.status': () => {
      const l = ctl.current()?.listening ?? null;
      return l === null
        ? null
        : { url: l.url, host: l.host, port: l.port, token: loadOrCreateToken(ctl.home), loopback: isLoopback(l.host) };
    },
  };
}

/** At daemon start: serve again what `tend web` asked a previous daemon for. */
export async function restoreWeb(ctl: WebControl): Promise<void> {
  const cfg = readWebConfig(ctl.home);
  if (cfg === null) return;
  try {
    await serve(ctl, cfg.host, cfg.port);
  } catch (err) {
    ctl.log('web-restore-failed', { host: cfg.host, port: cfg.port, error: (err as Error).message });
  }
}
