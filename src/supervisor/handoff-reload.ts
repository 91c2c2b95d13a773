import { closeSync } from 'node:fs';
import { listeningTcpFds } from '../metrics/ports.js';
import { readSysctl } from '../procfs/system.js';
import { MIN_READY_DEFAULT_MS, type AppSpec, type RunAs } from '../protocol/app-spec.js';
import { type LogPaths } from '../protocol/logs.js';
import { type ReloadReport } from '../protocol/process-info.js';
import { errnoName, loadLibc } from '../spawner/libc.js';
import { launchApp, type AppChild } from '../spawner/spawn-app.js';
import { reloadFailedError } from './pool-ops.js';
import { signalGroup } from './kill-tree.js';
import { handsOffSockets } from './pool-holder.js';
import { launchRequest, prepareLaunch } from './launch-request.js';
import type { ProcessHandle } from './process-handle.js';

/**
 * Zero-downtime reload of a fork-mode Node app (one process, `tend start server.js`), with
 * nothing asked of the app. The daemon is the app's parent, so it can copy the old process's
 * listening sockets (pidfd_getfd); the new process starts beside the old one with those copies
 * (fds 4, 5, …) and tend's hook (worker-hook.ts, loaded into every fork-mode Node app), which
 * makes its `server.listen(port)` take the inherited socket instead of binding. The port never
 * closes, and both processes accept from the same queue until the new one is ready (it listened
 * on every port the old one had, then `process.send('ready')` with wait_ready unless a log line
 * or a health check makes the app ready, then min_ready without exiting). Then it becomes the app's run, and the old one is retired as a cluster
 * worker is: its servers stop accepting, each keep-alive connection ends after its next
 * response, and once its connections are done (or kill_timeout passed) it gets kill_signal, then
 * SIGKILL after kill_timeout. A new process that exits or is not ready in time is stopped and
 * the old one keeps serving (E_RELOAD_FAILED, exit 1).
 */

export interface HandoffDeps {
  makeFifos(paths: string[]): void;
  ptyHome(id: number, runAs: RunAs | undefined): { socket: string; cwd?: string };
  logPaths(h: ProcessHandle): LogPaths;
  newToken(h: ProcessHandle): string;
  log(event: string, fields: Record<string, unknown>): void;
  lastStderr(h: ProcessHandle): Promise<string[]>;
  /** The new process is ready: the app takes the reload's spec before it becomes the app's run. */
  respec(spec: AppSpec): void;
  /** The reload's outcome (describe shows the last one). */
  record(report: ReloadReport): void;
}

/** Done, or why the app was restarted instead (a plain restart, with its short outage). */
export type HandoffOutcome = { report: ReloadReport } | { restartedBecause: string };

interface Taken {
  fds: number[];
  ports: number[];
}

export async function handoffReload(h: ProcessHandle, spec: AppSpec, deps: HandoffDeps): Promise<HandoffOutcome> {
  const taken = takeListeners(h, spec);
  if ('why' in taken) return { restartedBecause: taken.why };
  const oldPid = h.pid as number;
  let started: { child: AppChild; token: string };
  try {
    started = await launchBeside(h, spec, taken, deps);
  } catch (err) {
    closeAll(taken.fds);
    return fail(h, deps, (err as Error).message);
  }
  const { child, token } = started;
  const reason = await readiness(child, taken.ports, spec);
  // The new process holds its own copies now; ours would keep the ports open after it.
  closeAll(taken.fds);
  const stillOld = h.pid === oldPid && h.state === 'online';
  if (reason !== null || !stillOld) {
    stopProcess(child, spec);
    return fail(h, deps, reason ?? 'was not needed any more: the app was stopped or restarted meanwhile');
  }
  deps.respec(spec);
  const old = h.takeOver(child, token);
  // It is the app's process now: it no longer stops itself if this daemon dies (worker-hook.ts).
  child.send({ tend: 'accepted' });
  deps.log('handoff', { id: h.id, name: spec.name, oldPid, pid: child.pid, ports: taken.ports });
  retire(old, oldPid, spec);
  const report: ReloadReport = { at: Date.now(), ok: true, replaced: [0], failedInstance: null, reason: null, stderr: [] };
  deps.record(report);
  return { report };
}

/** Copies of the old process's listening TCP sockets, or why there are none to hand over. */
function takeListeners(h: ProcessHandle, spec: AppSpec): Taken | { why: string } {
  if (!handsOffSockets(h.spec) || !handsOffSockets(spec))
    return { why: 'it is not a fork-mode Node.js app (use --listen or cluster mode)' };
  if (h.state !== 'online' || h.pid === null) return { why: 'it was not online' };
  const libc = loadLibc();
  if (libc === null) return { why: 'pidfd_getfd cannot be called here (libc not loaded)' };
  const listening = listeningTcpFds(h.pid);
  if (listening.length === 0) return { why: 'its process listens on no TCP port' };
  const pidfd = libc.pidfdOpen(h.pid);
  if (pidfd < 0) return { why: `its process cannot be opened (pidfd_open: ${errnoName(libc.errno())})` };
  const fds: number[] = [];
  try {
    for (const l of listening) {
      const fd = libc.pidfdGetfd(pidfd, l.fd);
      if (fd < 0) {
        const code = errnoName(libc.errno());
        closeAll(fds);
        return {
          why: `its listening sockets cannot be copied (pidfd_getfd: ${code}${code === 'EPERM' ? ', no ptrace rights over it' : ''})`,
        };
      }
      fds.push(fd);
    }
  } finally {
    libc.close(pidfd);
  }
  return { fds, ports: listening.map((l) => l.port.port) };
}

/** Starts the new process with the copies at fds 4, 5, … (fd 3 is its IPC channel). */
function launchBeside(h: ProcessHandle, spec: AppSpec, taken: Taken, deps: HandoffDeps): Promise<{ child: AppChild; token: string }> {
  const prepared = prepareLaunch({
    id: h.id,
    spec,
    pipes: h.pipes,
    pool: null,
    makeFifos: deps.makeFifos,
    ptyHome: (runAs) => deps.ptyHome(h.id, runAs),
  });
  if (!prepared.ok) return Promise.reject(new Error(prepared.message));
  const token = deps.newToken(h);
  const request = launchRequest(prepared, h.id, spec, deps.logPaths(h), token);
  request.passFds = taken.fds;
  request.env.TEND_INHERITED_FDS = JSON.stringify(taken.ports.map((port, i) => ({ fd: 4 + i, port })));
  return new Promise((resolve, reject) => {
    launchApp(request, (err, child) => {
      closeAll(prepared.fds);
      if (err !== null || child === null || child.pid === undefined) reject(err ?? new Error('it did not start'));
      else resolve({ child, token });
    });
  });
}

/**
 * Null once the new process listens on every handed-over port (and said ready with wait_ready),
 * then stays up for min_ready; else what went wrong.
 */
function readiness(child: AppChild, ports: number[], spec: AppSpec): Promise<string | null> {
  return new Promise((resolve) => {
    const waiting = new Set(ports);
    // Only `process.send('ready')` can come from the new process alone: a ready log line or a
    // health check would be read from, or answered by, either process; there, listening is ready.
    let saidReady = !spec.waitReady || spec.readyLogLine !== undefined || spec.health !== null;
    let settled = false;
    const settle = (reason: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(reason);
    };
    const timer = setTimeout(() => {
      const missing = waiting.size > 0 ? `did not listen on port ${[...waiting].join(', ')}` : 'did not send ready';
      settle(`${missing} within listen_timeout (${spec.listenTimeoutMs} ms)`);
    }, spec.listenTimeoutMs);
    const check = (): void => {
      if (waiting.size > 0 || !saidReady) return;
      clearTimeout(timer);
      const minReady = spec.minReadyMs ?? MIN_READY_DEFAULT_MS;
      setTimeout(() => settle(null), minReady);
    };
    child.onMessage((msg) => {
      if (msg === 'ready' || (msg as { type?: unknown } | null)?.type === 'ready') saidReady = true;
      const m = msg as { tend?: unknown; port?: unknown } | null;
      if (m?.tend === 'listening' && m.port === 0) {
        for (const p of waiting) if (isEphemeral(p)) waiting.delete(p);
      } else if (m?.tend === 'listening' && typeof m.port === 'number') waiting.delete(m.port);
      check();
    });
    child.onExit((code, signal) => settle(signal === null ? `exited with code ${code ?? '?'}` : `was killed by ${signal}`));
  });
}

/**
 * Whether a port lies in the kernel's range for ports of the system's choosing
 * (net.ipv4.ip_local_port_range): the old process got it from `listen(0)`, so the new one, which
 * asks the same, gets another and never listens there.
 */
function isEphemeral(port: number): boolean {
  const [low, high] = (readSysctl('net.ipv4.ip_local_port_range') ?? '32768 60999').split(/\s+/).map(Number);
  return port >= (low ?? 32768) && port <= (high ?? 60999);
}

/**
 * The old process leaves rotation and finishes what it serves (worker-hook.ts answers
 * `drained`); one without the hook's channel (adopted from a previous daemon) gets its
 * kill_signal at once, as at a stop.
 */
function retire(old: AppChild | null, pid: number, spec: AppSpec): void {
  const stop = (): void => {
    signalGroup(pid, spec.killSignal as NodeJS.Signals);
    setTimeout(() => signalGroup(pid, 'SIGKILL'), spec.killTimeoutMs).unref();
  };
  if (old === null) {
    stop();
    return;
  }
  let stopped = false;
  const once = (): void => {
    if (stopped) return;
    stopped = true;
    clearTimeout(deadline);
    stop();
  };
  const deadline = setTimeout(once, spec.killTimeoutMs);
  old.onMessage((msg) => {
    if ((msg as { tend?: unknown } | null)?.tend === 'drained') once();
  });
  old.onExit(() => {
    stopped = true;
    clearTimeout(deadline);
    // Whatever of its tree is left (a worker it forked) goes with it.
    signalGroup(pid, 'SIGKILL');
  });
  if (!old.send({ tend: 'retire' })) once();
}

/** A new process that failed: kill_signal, then SIGKILL after kill_timeout. */
function stopProcess(child: AppChild, spec: AppSpec): void {
  const pid = child.pid as number;
  signalGroup(pid, spec.killSignal as NodeJS.Signals);
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), spec.killTimeoutMs);
  timer.unref();
  child.onExit(() => {
    clearTimeout(timer);
    signalGroup(pid, 'SIGKILL');
  });
}

async function fail(h: ProcessHandle, deps: HandoffDeps, reason: string): Promise<never> {
  const stderr = await deps.lastStderr(h).catch(() => []);
  deps.log('handoff-failed', { id: h.id, name: h.spec.name, reason });
  deps.record({ at: Date.now(), ok: false, replaced: [], failedInstance: 0, reason, stderr });
  throw reloadFailedError(h.spec.name, 'the new process', reason, 'the old process keeps serving', stderr, {
    app: h.spec.name,
    instance: 0,
    id: h.id,
    reason,
    replaced: [],
    stderr,
  });
}

function closeAll(fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      /* closed already */
    }
  }
}
