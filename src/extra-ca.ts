import { readFileSync } from 'node:fs';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';

/**
 * NODE_EXTRA_CA_CERTS makes Node read and parse its file at start-up, before any code runs and
 * whether or not the process ever opens a TLS connection: with a system bundle
 * (ca-certificates.crt, ~200 kB) that is ~50 ms of CPU and 1.8 MB RSS per process, measured on
 * `node -e 0`. The CLI (its shebang) and the daemon (its launch) start with the variable carried
 * under this name instead and put it back at once: what they spawn (apps, holders, hook commands)
 * sees it exactly as before; only their own start-up skipped the bundle.
 */
export const CARRIED_CA_VAR = 'TEND_NODE_EXTRA_CA_CERTS';

/** Puts NODE_EXTRA_CA_CERTS back from its carrier (an empty carrier: it was not set). */
export function restoreExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const carried = env[CARRIED_CA_VAR];
  if (carried === undefined) return;
  delete env[CARRIED_CA_VAR];
  if (carried !== '' && env.NODE_EXTRA_CA_CERTS === undefined) env.NODE_EXTRA_CA_CERTS = carried;
}

/** `env` with NODE_EXTRA_CA_CERTS moved to its carrier, for launching the daemon. */
export function carryExtraCaCerts(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: extra, ...rest } = env;
  return extra === undefined ? rest : { ...rest, [CARRIED_CA_VAR]: extra };
}

let cached: { file: string; pem: string | null } | null = null;

/**
 * TLS options for the daemon's own HTTPS requests (webhooks, probes): Node's roots plus the
 * certificates of NODE_EXTRA_CA_CERTS, which its start-up skipped. Empty when it is not set or
 * cannot be read (Node itself only warns about an unreadable file).
 */
export async function extraCaOptions(env: NodeJS.ProcessEnv = process.env): Promise<{ ca?: string[] }> {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return {};
  if (cached?.file !== file) {
    let pem: string | null = null;
    try {
      pem = readFileSync(file, 'utf8');
    } catch {
      /* unreadable: Node's own roots only, as Node does */
    }
    cached = { file, pem };
  }
  if (cached.pem === null) return {};
  const { rootCertificates } = await import('node:tls');
  return { ca: [...rootCertificates, cached.pem] };
}

export type SendRequest = (url: string | URL, options: RequestOptions, callback?: (res: IncomingMessage) => void) => ClientRequest;

/**
 * The request function for `url`: node:http's, or node:https' with extraCaOptions. Both load on
 * first use: a daemon that never sends one never pays for them (~3 MB RSS).
 */
export async function requestFor(url: string): Promise<SendRequest> {
  if (!url.startsWith('https:')) return (await import('node:http')).request;
  const { request } = await import('node:https');
  const tls = await extraCaOptions();
  return tls.ca === undefined ? request : (u, options, callback) => request(u, { ...options, ...tls }, callback);
}
