import { TendError } from '../errors.js';
import { parseListenAddress } from '../lib/listen-address.js';
import type { ProxySpec } from '../protocol/app-spec.js';

/**
 * `proxy` and `proxy_port_env`: the public TCP address tend owns in proxy mode and the variable
 * that gives each instance its private port. Proxy mode is its own way of running several
 * processes on one port: not with `listen` (the app takes the socket) nor cluster mode.
 */
export function proxyField(
  get: <T>(key: string) => T,
  source: string,
  listen: readonly string[],
  clusterAsked: boolean,
): ProxySpec | undefined {
  const given = get<string | number | undefined>('proxy');
  if (given === undefined) return undefined;
  const fail = (message: string, hint: string, field = 'proxy'): never => {
    throw new TendError('E_INVALID_VALUE', `${source}: ${message}`, { hint, details: { field, source } });
  };
  let address;
  try {
    address = parseListenAddress(String(given), 'proxy');
  } catch (err) {
    return fail((err as Error).message, 'Example: proxy: 8080 (or 127.0.0.1:8080).');
  }
  if (address.kind !== 'tcp')
    fail(`\`proxy\` must be a TCP address, got \`${String(given)}\``, 'Example: proxy: 8080 (or 127.0.0.1:8080).');
  if (listen.length > 0)
    fail('give `proxy` or `listen`, not both', 'proxy: the app binds its own port from $PORT; listen: the app takes the socket as fd 3.');
  if (clusterAsked)
    fail(
      'proxy mode runs the instances itself; it cannot be cluster mode',
      'Drop exec_mode: cluster and keep `instances` for several processes.',
    );
  const portEnv = get<string>('proxy_port_env');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(portEnv))
    fail(
      `Expected \`proxy_port_env\` to be a variable name like PORT, got \`${portEnv}\``,
      'Use letters, digits and `_`, not starting with a digit.',
      'proxy_port_env',
    );
  return { listen: address.text, portEnv };
}

/** A stored or received `proxy` (state file, socket): exactly what proxyField builds. */
export function checkProxyShape(v: unknown, bad: (field: string, expected: string, got: unknown) => never): void {
  const p = v as { listen?: unknown; portEnv?: unknown } | null;
  if (typeof p !== 'object' || p === null || Object.keys(p).length !== 2) return bad('proxy', '{ listen, portEnv }', v);
  let text: string | null = null;
  try {
    const a = typeof p.listen === 'string' ? parseListenAddress(p.listen, 'proxy') : null;
    text = a?.kind === 'tcp' ? a.text : null;
  } catch {
    /* reported below */
  }
  if (text === null || text !== p.listen) bad('proxy.listen', 'a TCP address in normalized form (`8080`, `127.0.0.1:8080`)', p.listen);
  if (typeof p.portEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.portEnv)) bad('proxy.portEnv', 'a variable name', p.portEnv);
}
