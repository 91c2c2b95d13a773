import { readFileSync, rmSync } from 'node:fs';
import { kernelRandom } from '../lib/kernel-random.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { tendPaths } from '../store/paths.js';

/** What `tend web` asked for, kept in the home so a new daemon serves again (tend daemon restart). */
export interface WebConfig {
  version: 1;
  host: string;
  port: number;
}

export const DEFAULT_WEB_PORT = 9615;
export const DEFAULT_WEB_HOST = '127.0.0.1';

export const webConfigFile = (home: string): string => tendPaths(home).webConfig;
export const webTokenFile = (home: string): string => tendPaths(home).webToken;

export function readWebConfig(home: string): WebConfig | null {
  try {
    const c = JSON.parse(readFileSync(webConfigFile(home), 'utf8')) as Partial<WebConfig>;
    if (
      c.version === 1 &&
      typeof c.host === 'string' &&
      c.host.length > 0 &&
      Number.isInteger(c.port) &&
      (c.port as number) >= 0 &&
      (c.port as number) <= 65535
    ) {
      return { version: 1, host: c.host, port: c.port as number };
    }
  } catch {
    /* absent or unreadable: not serving */
  }
  return null;
}

export function writeWebConfig(home: string, host: string, port: number): void {
  writeFileAtomic(webConfigFile(home), `${JSON.stringify({ version: 1, host, port })}\n`, 0o600, true);
}

export function removeWebConfig(home: string): void {
  rmSync(webConfigFile(home), { force: true });
}

/** The token (0600 in the home), made once: a restarted daemon or dashboard keeps working with it. */
export function loadOrCreateToken(home: string): string {
  try {
    const t = readFileSync(webTokenFile(home), 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,200}$/.test(t)) return t;
  } catch {
    /* made below */
  }
  const token = kernelRandom(24).toString('base64url');
  writeFileAtomic(webTokenFile(home), `${token}\n`, 0o600, true);
  return token;
}
