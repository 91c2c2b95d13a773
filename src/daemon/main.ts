import '../lib/no-debug-signal.js';
import { preparePipeDir, releasePipeDir } from '../store/pipe-dir.js';
import { claimsChildren, spawnerKind } from '../spawner/spawn-app.js';
import { setBackgroundGate } from '../logs/background-opens.js';
import { closeSync, writeSync } from 'node:fs';
import { ensureDir } from '../lib/ensure-dir.js';
import { Health } from '../lib/health.js';
import { describeWriteError, isDiskError, writeFully } from '../store/atomic-write.js';
import { checkHomeSafe } from '../store/home-check.js';
import { isTendError, TendError } from '../errors.js';
import { PROTOCOL_VERSION } from '../protocol/frames.js';
import type { DaemonInfo } from '../protocol/daemon-info.js';
import { RpcServer } from '../rpc/server.js';
import { resolveHome, tendPaths, type TendPaths } from '../store/paths.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { asApp } from '../supervisor/launch-request.js';
import { VERSION } from '../version.js';
import { createHandlers } from './handlers.js';
import { EventBus } from './event-bus.js';
import { HookRunner } from '../hooks/hook-runner.js';
import { LogRouter } from './log-router.js';
import { Observer } from './observer.js';
import { jobOptions } from './job-runs.js';
import { ReadyLines } from './ready-lines.js';
import { restoreWeb, type WebControl } from './web-handlers.js';
import type { WebServer } from '../web/web-server.js';
import type { Handlers } from '../rpc/server.js';
import { statePublisher } from './state-events.js';
import { acquireInstanceLock, type InstanceLock } from './single-instance.js';
import { notifySystemdReady } from './sd-notify.js';
import { detectSystemdUnit } from './systemd-unit.js';
import { createWatches } from './watches.js';
import { restoreExtraCaCerts } from '../extra-ca.js';

// One thread of libuv's pool waits for app output (src/supervisor/pipe-poller.ts): one more
// thread keeps four for spawns and file opens. Read when the pool starts, at its first use.
process.env.UV_THREADPOOL_SIZE ??= '5';
// Launched with NODE_EXTRA_CA_CERTS carried aside (its start-up skipped the bundle): back for
// what the daemon spawns; its own HTTPS requests add the certificates (see src/extra-ca.ts).
restoreExtraCaCerts();

/**
 * How long a daemon asked to exit lets the requests under way finish (a stop's kill_timeout is
 * 5 s by default); below the 10 s `tend daemon stop|restart` waits for it to exit.
 */
const SETTLE_MS = 8000;

/** Problems shown by ping/list/describe; the daemon log hears each change. */
const health = new Health((topic, problem) =>
  daemonLog(problem === null ? 'problem-cleared' : 'problem', { topic, ...(problem === null ? {} : { problem }) }),
);

/**
 * The daemon's own log: one JSON object per line on fd 1 (the launcher points it at daemon.log).
 * Written with writeSync and every error caught: a full disk must not kill the daemon (a
 * stream's ENOSPC 'error' event would). Lines that cannot be written are counted and reported.
 */
let logLost = 0;
function daemonLog(event: string, data: Record<string, unknown> = {}): void {
  const line = Buffer.from(`${JSON.stringify({ time: new Date().toISOString(), event, ...data })}\n`);
  try {
    writeFully(1, line);
    if (logLost > 0) {
      const lost = logLost;
      logLost = 0;
      health.set('daemon-log', null);
      daemonLog('daemon-log-lines-lost', { lines: lost });
    }
  } catch (err) {
    logLost += 1;
    health.set('daemon-log', `${isDiskError(err) ? 'disk full: ' : ''}cannot write the daemon log (${describeWriteError(err)})`);
  }
}
// Anything else written to stdout/stderr (a Node warning) must not crash the daemon on ENOSPC either.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

/** Tells the launching CLI how start-up went, through the pipe it passed as fd N. */
function makeNotifier(fdText: string | undefined): { say(line: string): void; done(): void } {
  const fd = fdText === undefined ? -1 : Number(fdText);
  return {
    say: (line) => {
      if (fd < 0) return;
      try {
        writeSync(fd, `${line}\n`);
      } catch {
        /* the CLI went away; nothing to tell */
      }
    },
    done: () => {
      if (fd >= 0)
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
    },
  };
}

/** A sampling interval from the environment (tests and tuning), 100 ms to 1 h; else the default. */
function envMs(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v >= 100 && v <= 3_600_000 ? v : fallback;
}

function ensureHome(paths: TendPaths): void {
  checkHomeSafe(paths.home);
  for (const dir of [paths.home, paths.logDir, paths.holderDir]) ensureDir(dir);
}

/** Composition root: builds every service with explicit dependencies, then signals readiness. */
async function main(): Promise<void> {
  const notify = makeNotifier(process.env.TEND_DAEMON_READY_FD);
  delete process.env.TEND_DAEMON_READY_FD;
  const startedAt = Date.now();
  const systemd = detectSystemdUnit();
  let lock: InstanceLock;
  let paths: TendPaths;
  let pipeNote = '';
  try {
    paths = tendPaths(resolveHome());
    ensureHome(paths);
    lock = await acquireInstanceLock(paths);
    // Only the lock holder may replace the pipe folder's link.
    pipeNote = preparePipeDir(paths.pipeDir).note;
  } catch (err) {
    const details = isTendError(err) ? (err.details as { alreadyRunning?: boolean; pid?: number } | undefined) : undefined;
    if (details?.alreadyRunning === true) notify.say(`already ${details.pid ?? ''}`);
    else notify.say(`error ${JSON.stringify(toWire(err))}`);
    notify.done();
    process.exit(details?.alreadyRunning === true ? 0 : 1);
  }

  if (lock.pidFileError !== null) {
    health.set('pid-file', `disk full or failing: ${lock.pidFileError}`);
    const retry = setInterval(() => {
      if (!lock.retryPidFile()) return;
      clearInterval(retry);
      health.set('pid-file', null);
    }, 1000);
    retry.unref();
  }
  const logs = new LogRouter(paths, Date.now, daemonLog);
  const events = new EventBus();
  let server: RpcServer | null = null;
  const observer = new Observer({
    now: Date.now,
    log: daemonLog,
    idleMs: envMs('TEND_SAMPLE_IDLE_MS', 5000),
    watchedMs: envMs('TEND_SAMPLE_WATCHED_MS', 1000),
    ...jobOptions(paths, daemonLog, health, logs),
  });
  const exists = (id: number): boolean => supervisor.rowOwner(id) !== undefined;
  const readyLines = new ReadyLines(
    (id, fn) => logs.watchLines(id, fn),
    (id) => supervisor.handle(id)?.state === 'waiting-ready',
    (id) => supervisor.markReady(id),
  );
  const hooks = new HookRunner({
    // By id in O(1): this runs on every state change (resolving a target scans every app).
    appOf: (id) => {
      const spec = supervisor.handle(id)?.spec;
      return spec === undefined ? null : { hooks: spec.hooks, cwd: spec.cwd, env: spec.env, asApp: (c) => asApp(spec, c) };
    },
    log: daemonLog,
    timeoutMs: Number(process.env.TEND_HOOK_TIMEOUT_MS) > 0 ? Number(process.env.TEND_HOOK_TIMEOUT_MS) : 10_000,
  });
  events.listen((e) => hooks.onEvent(e));
  const publishState = statePublisher(events, Date.now, exists);
  const supervisor: Supervisor = new Supervisor({
    paths,
    now: Date.now,
    log: daemonLog,
    logs,
    // Watchers follow every state change (watches is bound right below, before any change).
    onState: (p, deleted) => {
      watches.sync(p.id);
      observer.onState(p, deleted);
      const h = deleted ? undefined : supervisor.handle(p.id);
      readyLines.sync(p.id, h?.spec, h?.state);
    },
    // process:state events are per list row: each instance of a pooled app has its own.
    onRow: (row, deleted) => publishState(row, deleted),
    observe: (id, pid) => observer.observe(id, pid),
    observeInstance: (id, pid) => observer.observeInstance(id, pid),
    health,
    // A failed reload quotes the app's last stderr lines.
    lastStderrLines: async (id, _spec, count) => {
      const file = logs.pathsOf(id).err;
      if (file === null) return [];
      const { tailLines } = await import('../logs/read.js');
      return (await tailLines(file, count)).map((l) => l.text);
    },
  });
  const watches = createWatches(supervisor, paths, daemonLog);
  // The dashboard: built on first use (node:http is not loaded by a daemon nobody browses).
  let webServer: WebServer | null = null;
  let handlersForWeb: Handlers | null = null;
  const web: WebControl = {
    home: paths.home,
    log: daemonLog,
    current: () => webServer,
    server: async () => {
      if (webServer !== null) return webServer;
      const { WebServer: Ctor } = await import('../web/web-server.js');
      webServer = new Ctor({ handlers: handlersForWeb as Handlers, info, log: daemonLog });
      return webServer;
    },
  };
  let exiting: 'shutdown' | 'kill' | null = null;
  // Leaves apps running (stopApps false) or stops them all first (tend kill, also while a shutdown
  // waits for the requests under way). Answers with every app it stops and forgets (tend kill),
  // or with the apps that keep a process running.
  const exit = async (stopApps: boolean, why = stopApps ? 'kill' : 'shutdown'): Promise<number> => {
    const n = stopApps ? supervisor.size : supervisor.list().filter((p) => p.pid !== null).length;
    const first = exiting === null;
    if (exiting === 'kill' || (!stopApps && !first)) return n;
    exiting = stopApps ? 'kill' : 'shutdown';
    if (stopApps) await supervisor.stopAll();
    if (first) setImmediate(() => void shutdown(why));
    return n;
  };
  const shutdown = async (why: string): Promise<void> => {
    // A stop or restart sent just before gets its answer (within the CLI's wait for this exit).
    await server?.settle(SETTLE_MS);
    daemonLog('daemon-exit', { why, apps: supervisor.size });
    observer.close();
    readyLines.close();
    await webServer?.close();
    watches.close();
    supervisor.detachAll();
    // tend kill stopped every app: nothing of this home stays in /dev/shm.
    if (exiting === 'kill' && supervisor.list().every((p) => p.pid === null)) {
      try {
        releasePipeDir(paths.pipeDir);
      } catch (err) {
        daemonLog('pipe-dir-release-failed', { error: (err as Error).message });
      }
    }
    await server?.close();
    logs.close();
    lock.release();
    process.exit(0);
  };
  const info = (): DaemonInfo => {
    const m = process.memoryUsage();
    return {
      pid: process.pid,
      version: VERSION,
      protocol: PROTOCOL_VERSION,
      home: paths.home,
      startedAt,
      node: process.version,
      apps: supervisor.size,
      systemd,
      problems: health.list(),
      memory: { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external },
    };
  };

  try {
    const restored = supervisor.restore(() => observer.attach(supervisor));
    if (restored.adopted > 0 || restored.restarted > 0 || restored.stopped > 0) daemonLog('restored', restored);
    for (const p of supervisor.list()) watches.sync(p.id);
    const handlers = createHandlers({
      supervisor,
      logs,
      events,
      paths,
      observer,
      web,
      info,
      exit,
      log: daemonLog,
      watchStatus: (id) => watches.status(id),
    });
    handlersForWeb = handlers;
    server = new RpcServer({
      socketPath: paths.socket,
      agent: `tend-daemon ${VERSION}`,
      handlers,
      log: daemonLog,
      helloTimeoutMs: Number(process.env.TEND_HELLO_TIMEOUT_MS ?? 5000),
      requestTimeoutMs: Number(process.env.TEND_REQUEST_TIMEOUT_MS ?? 10_000),
    });
    await server.listen();
    await restoreWeb(web);
  } catch (err) {
    notify.say(`error ${JSON.stringify(toWire(err))}`);
    notify.done();
    supervisor.detachAll();
    lock.release();
    process.exit(1);
  }
  // SIGTERM/SIGINT: leave the apps running for the next daemon (the daemon is not their lifeline).
  process.on('SIGTERM', () => void exit(false, 'SIGTERM'));
  process.on('SIGINT', () => void exit(false, 'SIGINT'));
  process.on('SIGHUP', () => daemonLog('sighup-ignored'));
  process.on('SIGUSR2', () => daemonLog('logs-reopened', { files: logs.reopen() }));
  for (const notice of lock.notices) notify.say(`notice ${notice}`);
  const spawner = spawnerKind();
  // Log files of new apps are created once the spawns under way are done (see FileSink).
  setBackgroundGate(() => !claimsChildren().launching);
  daemonLog('daemon-ready', {
    pid: process.pid,
    home: paths.home,
    version: VERSION,
    node: process.version,
    spawner: spawner.kind,
    ...(spawner.why === '' ? {} : { spawnerWhy: spawner.why }),
    pipes: pipeNote,
  });
  notify.say(`ready ${process.pid}`);
  notify.done();
  notifySystemdReady(daemonLog);
}

function toWire(err: unknown): object {
  if (isTendError(err)) return err.toWire();
  const e = err as NodeJS.ErrnoException;
  return new TendError('E_DAEMON_START_FAILED', `the daemon could not start: ${e?.message ?? String(err)}`).toWire();
}

void main();
