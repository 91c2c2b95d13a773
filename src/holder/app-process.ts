import { spawn, type ChildProcess } from 'node:child_process';
import type { AppSpec } from '../protocol/app-spec.js';
import { buildCommand } from '../lib/command-line.js';
import { signalPid } from '../supervisor/kill-tree.js';
import { isReadyMessage, writeStdin, type WorkerProcess } from './driver.js';
import type { ListenSocket } from './listen-sockets.js';
import { startNotifyRelay, type NotifyRelay } from './notify-relay.js';

/**
 * Any language: the holder starts the app's command itself. With `sockets`, the app gets them as
 * fds 3, 4, … with systemd's socket-activation variables (LISTEN_FDS, LISTEN_PID,
 * LISTEN_FDNAMES). LISTEN_PID must be the app's own pid, which is only known after the fork: a
 * `/bin/sh -c 'LISTEN_PID=$$ exec …'` trampoline sets it and then becomes the app (exec keeps
 * the pid and the fds). With wait_ready, readiness is systemd's NOTIFY_SOCKET `READY=1` (at
 * `notifyPath`), or `process.send('ready')` for a Node app, on an IPC channel after the sockets.
 */
export async function spawnAppProcess(
  spec: AppSpec,
  env: Record<string, string>,
  sockets: ListenSocket[],
  notifyPath: string,
): Promise<AppProcess> {
  const { file, args } = buildCommand(spec.exec);
  const isNode = spec.exec.interpreter === 'node' && !spec.exec.shell;
  let relay: NotifyRelay | null = null;
  let readyFromRelay: (() => void) | null = null;
  const childEnv: Record<string, string> = { ...env };
  if (sockets.length > 0) {
    childEnv.LISTEN_FDS = String(sockets.length);
    childEnv.LISTEN_FDNAMES = sockets.map((s) => s.name).join(':');
  }
  delete childEnv.NOTIFY_SOCKET;
  if (spec.waitReady) {
    relay = await startNotifyRelay(notifyPath, (line) => {
      if (line === 'READY=1') readyFromRelay?.();
    });
    childEnv.NOTIFY_SOCKET = notifyPath;
  }
  // stdin is the process's own pipe, so `tend send <instance id>` reaches that one process.
  const stdio: Array<number | 'pipe' | 'inherit' | 'ipc'> = ['pipe', 'inherit', 'inherit', ...sockets.map((s) => s.fd)];
  if (isNode && spec.waitReady) stdio.push('ipc');
  let child: ChildProcess;
  try {
    child =
      sockets.length > 0
        ? spawn('/bin/sh', ['-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"', file, ...args], {
            cwd: spec.cwd,
            env: childEnv,
            stdio,
          })
        : spawn(file, args, { cwd: spec.cwd, env: childEnv, stdio });
  } catch (err) {
    relay?.close();
    throw err;
  }
  const pid = child.pid;
  if (pid === undefined) {
    relay?.close();
    const why = await new Promise<string>((resolve) => child.once('error', (e) => resolve(e.message)));
    throw new Error(`cannot start ${file}: ${why}`);
  }
  const proc = new AppProcess(child, pid, spec, relay);
  readyFromRelay = () => proc.markReady();
  return proc;
}

/** One process of the app started by spawnAppProcess. */
export class AppProcess implements WorkerProcess {
  private readyCbs: Array<() => void> = [];
  private isReady = false;

  constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    private readonly spec: AppSpec,
    private readonly relay: NotifyRelay | null,
  ) {
    child.on('error', () => undefined);
    // A process gone before it read its stdin: EPIPE is not the holder's problem.
    child.stdin?.on('error', () => undefined);
    child.on('message', (msg: unknown) => {
      if (isReadyMessage(msg)) this.markReady();
    });
    child.once('exit', () => relay?.close());
  }

  markReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.relay?.close();
    for (const cb of this.readyCbs) cb();
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.child.once('exit', (code, signal) => cb(signal ? null : code, signal ?? null));
  }

  /** Without wait_ready: as soon as it runs. With it: on its `READY=1` or `ready` message. */
  onReady(cb: () => void): void {
    if (!this.spec.waitReady || this.isReady) queueMicrotask(cb);
    else this.readyCbs.push(cb);
  }

  /** The app's own stop: the `shutdown` message (shutdown_with_message) or kill_signal. */
  retire(): void {
    if (this.spec.shutdownWithMessage && this.child.connected) {
      try {
        this.child.send('shutdown');
        return;
      } catch {
        /* fall through to the signal */
      }
    }
    this.signal(this.spec.killSignal as NodeJS.Signals);
  }

  signal(signal: NodeJS.Signals): void {
    signalPid(this.pid, signal);
  }

  write(line: string): number {
    return writeStdin(this.child.stdin, line);
  }
}
