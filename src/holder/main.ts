import '../lib/no-debug-signal.js';
import { appendFileSync, readFileSync } from 'node:fs';
import type { AppSpec } from '../protocol/app-spec.js';
import { parseListenAddress } from '../lib/listen-address.js';
import type { InstanceIdMap } from '../protocol/holder.js';
import { parseSignal } from '../lib/signals.js';
import { ClusterDriver } from './cluster-driver.js';
import { HolderControlServer } from './control-server.js';
import type { WorkerDriver } from './driver.js';
import { openListenSockets } from './listen-sockets.js';
import { ProxyDriver } from './proxy-driver.js';
import { PublicProxy } from './proxy-server.js';
import { SocketsDriver } from './sockets-driver.js';
import { WorkerPool } from './worker-pool.js';
import { restoreExtraCaCerts } from '../extra-ca.js';

/**
 * A holder (DESIGN.md §8): the per-app process that owns a cluster or socket-activated app's
 * listening sockets and processes, so they outlive the daemon. Started by the daemon in the app's
 * own session with the app's stdio (workers inherit it, so their output reaches the app's logs),
 * re-adopted by pid + start time, driven over its control socket.
 *   argv: <spec.json>   env: TEND_HOLDER_SOCKET=<path of the control socket>
 */
async function main(): Promise<void> {
  // Started with NODE_EXTRA_CA_CERTS carried aside (see extra-ca.ts): back for the workers.
  restoreExtraCaCerts();
  const specFile = process.argv[2];
  const socketPath = process.env.TEND_HOLDER_SOCKET;
  if (specFile === undefined || socketPath === undefined) {
    process.stderr.write('tend holder: started without a spec file or TEND_HOLDER_SOCKET; it is run by the tend daemon\n');
    process.exit(2);
  }
  const logFile = socketPath.replace(/\.sock$/, '.log');
  const log = (line: string): void => {
    try {
      appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
    } catch {
      /* best effort */
    }
  };
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as AppSpec;
  const extraEnv = workersExtraEnv(spec);
  const driver = await openDriver(spec, socketPath, log);

  let server: HolderControlServer | null = null;
  const { idleAtStart, ids } = startOptions();
  const pool = new WorkerPool(spec, driver, { log, extraEnv, idleAtStart, ids, changed: () => server?.broadcast(pool.status()) });
  server = new HolderControlServer(
    socketPath,
    driver.kind,
    {
      status: () => pool.status(),
      reload: (p) =>
        pool.reload(
          p.spec,
          typeof p.parallel === 'number' ? p.parallel : 1,
          p.ids,
          Number.isSafeInteger(p.askedAt) ? p.askedAt : undefined,
        ),
      scale: (p) => pool.scale(p.instances, p.ids),
      'restart-instance': (p) => pool.restartInstance(p.instance),
      'stop-instance': (p) => pool.stopInstance(p.instance),
      'start-instance': (p) => pool.startInstance(p.instance),
      'reset-instance': (p) => pool.resetCounters(p.instance),
      signal: (p) => ({ signalled: pool.signal(p.instance, parseSignal(p.signal)) }),
      'remove-instance': (p) => pool.removeInstance(p.instance),
      send: (p) => pool.sendLine(p.instance, p.line),
    },
    log,
  );

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    driver.stopping?.();
    await pool.stopAll();
    server?.close();
    driver.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const killSignal = spec.killSignal as NodeJS.Signals;
  if (!['SIGTERM', 'SIGINT', 'SIGKILL', 'SIGSTOP'].includes(killSignal)) process.on(killSignal, () => void stop(killSignal));
  // The daemon that spawned it may go away; the holder does not depend on it.
  process.on('SIGHUP', () => undefined);
  process.on('disconnect', () => undefined);

  void server.listen().then(
    () => pool.start(),
    (err: Error) => {
      log(`cannot listen on ${socketPath}: ${err.message}`);
      process.exit(1);
    },
  );
}

/** The driver for the app's kind: proxy mode, sockets (`listen`), or node:cluster. */
async function openDriver(spec: AppSpec, socketPath: string, log: (line: string) => void): Promise<WorkerDriver> {
  const base = socketPath.replace(/\.sock$/, '');
  const slash = base.lastIndexOf('/');
  // A holder that runs as another user names its files relative to its own folder (the home is
  // closed to it); its workers, in the app's cwd, reach that folder through /proc.
  const runDir = slash === -1 ? `/proc/${process.pid}/cwd` : base.slice(0, slash);
  const prefix = base.slice(slash + 1);
  if (spec.proxy !== undefined) {
    const address = parseListenAddress(spec.proxy.listen, 'proxy');
    if (address.kind !== 'tcp') return fail('proxy: a TCP address is needed');
    let proxy: PublicProxy;
    try {
      // Connections that arrive while no instance is ready wait for one (listen_timeout, at least 5 s).
      proxy = await PublicProxy.open(address, Math.max(spec.listenTimeoutMs, 5000));
    } catch (err) {
      return fail((err as Error).message);
    }
    log(`proxy listening on ${address.text}`);
    return new ProxyDriver(proxy, address.port, runDir, prefix);
  }
  if (spec.listen.length === 0) return new ClusterDriver(spec.sticky === true, log);
  let sockets;
  try {
    sockets = openListenSockets(spec.listen);
  } catch (err) {
    return fail((err as Error).message);
  }
  log(`listening on ${sockets.map((s) => s.address.text).join(', ')}`);
  return new SocketsDriver(sockets, runDir, prefix);
}

/** One line on the app's stderr (its err log), then exit: the daemon's restart policy applies. */
function fail(message: string): never {
  process.stderr.write(`tend: ${message}\n`);
  process.exit(1);
}

/**
 * What tend added to the app's environment (TEND_APP_*, the run token, PM2's per-app
 * variables): every worker gets it on top of the app's own env; the holder's own
 * TEND_HOLDER_* variables are not the app's.
 */
function workersExtraEnv(spec: AppSpec): Record<string, string> {
  const extraEnv: Record<string, string> = {};
  for (const [key, v] of Object.entries(process.env)) {
    if (v !== undefined && !(key in spec.env) && !key.startsWith('TEND_HOLDER_')) extraEnv[key] = v;
  }
  if ('exec_mode' in extraEnv) extraEnv.exec_mode = spec.execMode === 'cluster' ? 'cluster_mode' : 'fork_mode';
  if ('instances' in extraEnv) extraEnv.instances = String(spec.instances);
  return extraEnv;
}

/** What the daemon passes for this start: instances left stopped, and the id of each instance (see InstanceIdMap). */
function startOptions(): { idleAtStart: Set<number>; ids: InstanceIdMap } {
  // TEND_HOLDER_IDLE: instance numbers to leave stopped at start (`tend start <instance id>` of a stopped app).
  const idleAtStart = new Set(
    (process.env.TEND_HOLDER_IDLE ?? '')
      .split(',')
      .filter((n) => /^\d+$/.test(n))
      .map(Number),
  );
  // TEND_HOLDER_IDS: the daemon's id of each instance number, in order (a PM2 app's `pm_id`).
  const ids = Object.fromEntries(
    (process.env.TEND_HOLDER_IDS ?? '').split(',').flatMap((n, k) => (/^\d+$/.test(n) ? [[k, Number(n)]] : [])),
  );
  return { idleAtStart, ids };
}

void main();
