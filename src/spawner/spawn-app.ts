import { spawn as nodeSpawn } from 'node:child_process';
import { ChildReaper, type ExitCallback } from './child-reaper.js';
import { IpcChannel } from './ipc-channel.js';
import { loadLibc, libcUnavailableReason } from './libc.js';
import { launchesInFlight, posixSpawn, SpawnError, type SpawnRequest } from './posix-spawn.js';

export { SpawnError, type SpawnRequest };

/** A started app process, whichever way it was started. */
export interface AppChild {
  /** Undefined only for Node's spawner when it refused to start (see onSpawnError). */
  readonly pid: number | undefined;
  /** Node's spawner reports a refused start (ENOENT, EACCES…) a tick later; posix_spawn throws instead. */
  onSpawnError(cb: (err: Error) => void): void;
  /** How the leader ended (once). */
  onExit(cb: ExitCallback): void;
  /** Messages the app sent with `process.send` (IPC apps only). */
  onMessage(cb: (msg: unknown) => void): void;
  /** Sends a message the app reads with `process.on('message')`; false without a channel. */
  send(msg: unknown): boolean;
  /** Stops watching and lets go of the channel; the process keeps running. */
  detach(): void;
}

export type SpawnerKind = 'posix_spawn' | 'child_process';

/**
 * For a reaper of orphans (tend run as PID 1): is `pid` a child this spawner waits for, or may a
 * launch under way still claim a zombie? Such zombies are not the reaper's to take.
 */
export function claimsChildren(): { launching: boolean; owns(pid: number): boolean } {
  return { launching: launchesInFlight() > 0, owns: (pid) => reaper?.has(pid) ?? false };
}

let reaper: ChildReaper | null = null;

/**
 * The spawner in use: posix_spawn through libc unless it cannot be loaded or TEND_SPAWNER=node
 * asks for Node's child_process (which forks, at a cost that grows with the daemon's memory).
 */
export function spawnerKind(): { kind: SpawnerKind; why: string } {
  if (process.env.TEND_SPAWNER === 'node') return { kind: 'child_process', why: 'TEND_SPAWNER=node' };
  if (loadLibc() === null) return { kind: 'child_process', why: libcUnavailableReason() };
  return { kind: 'posix_spawn', why: '' };
}

/**
 * Starts an app process in its own session. Calls back with the child, or with the reason it
 * could not start; posix_spawn calls back later (from libuv's pool), Node's spawner at once.
 * The request's stdio fds must stay open until the callback.
 */
export function launchApp(req: SpawnRequest, done: (err: Error | null, child: AppChild | null) => void): void {
  const libc = process.env.TEND_SPAWNER === 'node' ? null : loadLibc();
  if (libc === null) {
    let child: AppChild;
    try {
      child = viaChildProcess(req);
    } catch (err) {
      done(err as Error, null);
      return;
    }
    done(null, child);
    return;
  }
  posixSpawn(libc, req, (err, out) => {
    const report = (): void => {
      if (err !== null || out === null) done(err ?? new SpawnError('EIO', req.file), null);
      else done(null, viaPosixSpawn(libc, out.pid, out.ipcFd));
    };
    if (LAUNCH_DELAY_MS > 0) setTimeout(report, LAUNCH_DELAY_MS);
    else report();
  });
}

/**
 * For the tests of a stop or a daemon kill while a launch is under way: the pid reaches the
 * supervisor this much later (TEND_TEST_LAUNCH_DELAY_MS; unset in normal use).
 */
const LAUNCH_DELAY_MS = Number(process.env.TEND_TEST_LAUNCH_DELAY_MS ?? 0) || 0;

function viaPosixSpawn(libc: NonNullable<ReturnType<typeof loadLibc>>, pid: number, ipcFd: number | null): AppChild {
  reaper ??= new ChildReaper(libc);
  const watcher = reaper;
  let exitCb: ExitCallback | null = null;
  let ended: Parameters<ExitCallback> | null = null;
  let messageCb: ((msg: unknown) => void) | null = null;
  const channel = ipcFd === null ? null : new IpcChannel(ipcFd, (msg) => messageCb?.(msg));
  watcher.watch(pid, (code, signal) => {
    channel?.close();
    ended = [code, signal];
    exitCb?.(code, signal);
  });
  return {
    pid,
    onSpawnError() {
      // posix_spawn reports a refused start to launchApp's callback instead.
    },
    onExit(cb) {
      exitCb = cb;
      if (ended !== null) cb(...ended);
    },
    onMessage(cb) {
      messageCb = cb;
    },
    send(msg) {
      if (channel === null || ended !== null) return false;
      channel.send(msg);
      return true;
    },
    detach() {
      exitCb = null;
      messageCb = null;
      watcher.forget(pid);
      channel?.close();
    },
  };
}

function viaChildProcess(req: SpawnRequest): AppChild {
  const child = nodeSpawn(req.file, req.args, {
    cwd: req.cwd,
    env: req.env,
    detached: true,
    stdio: [...req.stdio, req.ipc ? 'ipc' : 'ignore', ...(req.passFds ?? [])],
  });
  return {
    pid: child.pid,
    onSpawnError(cb) {
      // A spawn libuv refused (ENOENT, EACCES…) has no pid; its error event follows on the next tick.
      child.on('error', (err) => {
        if (child.pid === undefined) cb(err);
      });
    },
    onExit(cb) {
      child.on('exit', (code, signal) => cb(code, signal));
    },
    onMessage(cb) {
      child.on('message', cb);
    },
    send(msg) {
      return child.connected && child.send(msg as object);
    },
    detach() {
      child.removeAllListeners();
      child.disconnect?.();
      child.unref();
    },
  };
}
