import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { AppSpec } from '../protocol/model.js';
import { buildCommand } from '../lib/command-line.js';
import { signalPid } from '../supervisor/kill-tree.js';
import { isReadyMessage, writeStdin, type WorkerDriver, type WorkerProcess } from './driver.js';
import type { HeldSocket } from './listen-sockets.js';
import { startNotifyRelay, type NotifyRelay } from './notify-relay.js';
import { startHandoff, type Handoff } from './connection-handoff.js';

/**
 * Any language: the app gets the holder's listening sockets as fds 3, 4, … with systemd's
 * socket-activation variables (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES). LISTEN_PID must be the
 * app's own pid, which is only known after the fork: a `/bin/sh -c 'LISTEN_PID=$$ exec …'`
 * trampoline sets it and then becomes the app (exec keeps the pid and the fds).
 * With wait_ready, readiness is systemd's NOTIFY_SOCKET `READY=1` (or `process.send('ready')`
 * for a Node app, on an IPC channel after the sockets).
 */
export class SocketsDriver implements WorkerDriver {
  readonly kind = 'sockets' as const;
  private spawned = 0;

  constructor(
    private readonly sockets: HeldSocket[],
    private readonly runDir: string,
    private readonly prefix: string,
  ) {}

  async spawn(spec: AppSpec, instance: number, env: Record<string, string>): Promise<WorkerProcess> {
    const { file, args } = buildCommand(spec.exec);
    const isNode = spec.exec.interpreter === 'node' && !spec.exec.shell;
    let relay: NotifyRelay | null = null;
    let readyFromRelay: (() => void) | null = null;
    const childEnv: Record<string, string> = {
      ...env,
      LISTEN_FDS: String(this.sockets.length),
      LISTEN_FDNAMES: this.sockets.map((s) => s.name).join(':'),
    };
    delete childEnv.NOTIFY_SOCKET;
    if (spec.waitReady) {
      const path = join(this.runDir, `${this.prefix}.${instance}.${++this.spawned}.notify`);
      relay = await startNotifyRelay(path, (line) => {
        if (line === 'READY=1') readyFromRelay?.();
      });
      childEnv.NOTIFY_SOCKET = path;
    }
    // stdin is the process's own pipe, so `tend send <instance id>` reaches that one process.
    const stdio: Array<number | 'pipe' | 'inherit' | 'ipc'> = ['pipe', 'inherit', 'inherit', ...this.sockets.map((s) => s.fd)];
    if (isNode && spec.waitReady) stdio.push('ipc');
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"', file, ...args], {
        cwd: spec.cwd,
        env: childEnv,
        stdio,
      });
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
    const ports = this.sockets.flatMap((s) => (s.address.kind === 'tcp' ? [s.address.port] : []));
    const worker = new SocketsWorker(child, pid, spec, relay, ports);
    readyFromRelay = () => worker.markReady();
    return worker;
  }

  close(): void {
    for (const s of this.sockets) s.close();
  }
}

class SocketsWorker implements WorkerProcess {
  private readyCbs: Array<() => void> = [];
  private isReady = false;

  private handoff: Handoff | null = null;

  constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    private readonly spec: AppSpec,
    private readonly relay: NotifyRelay | null,
    private readonly ports: number[],
  ) {
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    child.once('exit', (_code, signal) => this.handoff?.finish(signal === null));
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

  onReady(cb: () => void): void {
    // Without wait_ready the sockets are listening already: the app is ready as soon as it runs
    // (connections wait in the backlog until it accepts them).
    if (!this.spec.waitReady) queueMicrotask(cb);
    else if (this.isReady) queueMicrotask(cb);
    else this.readyCbs.push(cb);
  }

  retire(): void {
    // Its keep-alive connections continue on the new process instead of being cut.
    this.handoff ??= startHandoff(this.pid, this.ports);
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
