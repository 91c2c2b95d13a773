import cluster, { type Worker } from 'node:cluster';
import type { AppSpec } from '../protocol/app-spec.js';
import { packageFile } from '../lib/package-files.js';
import { signalPid } from '../supervisor/kill-tree.js';
import { isReadyMessage, writeStdin, type WorkerDriver, type WorkerProcess } from './driver.js';
import { STICKY_ENV } from './sticky-messages.js';
import { StickyRouter } from './sticky-router.js';

/**
 * Node apps: this holder is the node:cluster primary. The primary owns each listening socket once
 * a worker listens on it and hands connections to the workers in turn (round-robin), so a worker
 * that leaves rotation (disconnect) stops receiving new connections while the others go on.
 * With `sticky`, the router picks the worker by the client's address instead (sticky-router.ts).
 */
export class ClusterDriver implements WorkerDriver {
  readonly kind = 'cluster' as const;
  private readonly router: StickyRouter | null;

  constructor(sticky: boolean, log: (line: string) => void) {
    this.router = sticky ? new StickyRouter(log) : null;
  }

  async spawn(spec: AppSpec, instance: number, env: Record<string, string>): Promise<WorkerProcess> {
    // setupPrimary applies to the next fork: each worker gets the spec it was started with.
    cluster.setupPrimary({
      exec: spec.exec.script,
      args: spec.exec.args,
      execArgv: ['--require', packageFile(import.meta.url, 'worker-hook.cjs'), ...spec.exec.interpreterArgs],
      cwd: spec.cwd,
      // Output goes where the holder's goes (the app's logs); stdin is the worker's own pipe, so
      // `tend send <instance id>` reaches that one process.
      stdio: ['pipe', 'inherit', 'inherit', 'ipc'],
    });
    replaceEnv(this.router === null ? env : { ...env, [STICKY_ENV]: '1' });
    const worker = cluster.fork();
    const pid = worker.process.pid;
    if (pid === undefined) throw new Error('the worker could not be started');
    const router = this.router;
    router?.adopt(worker, instance);
    return new ClusterWorker(worker, pid, spec, () => router?.leave(worker));
  }

  close(): void {
    this.router?.close();
    cluster.removeAllListeners();
  }
}

/**
 * cluster.fork() merges the primary's process.env under the worker's: make process.env exactly
 * the worker's environment, so a variable removed from the app's env in a reload is gone.
 */
function replaceEnv(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
}

class ClusterWorker implements WorkerProcess {
  constructor(
    private readonly worker: Worker,
    readonly pid: number,
    private readonly spec: AppSpec,
    /** Out of the sticky router's rotation (nothing without sticky). */
    private readonly leaveRotation: () => void,
  ) {
    worker.on('error', () => undefined);
    // A worker gone before it read its stdin: EPIPE is not the holder's problem.
    worker.process.stdin?.on('error', () => undefined);
  }

  write(line: string): number {
    return writeStdin(this.worker.process.stdin, line);
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.worker.once('exit', (code, signal) => cb(signal ? null : code, signal || null));
  }

  onReady(cb: () => void): void {
    if (this.spec.waitReady)
      this.worker.on('message', (msg: unknown) => {
        if (isReadyMessage(msg)) cb();
      });
    else this.worker.once('listening', () => cb());
  }

  retire(): void {
    this.leaveRotation();
    if (this.spec.shutdownWithMessage) {
      try {
        this.worker.send('shutdown');
      } catch {
        /* already disconnected */
      }
      return;
    }
    // Out of rotation: its HTTP servers stop accepting and drain keep-alive connections without
    // a reset (worker-hook.ts); then node:cluster closes its other handles and the IPC channel.
    try {
      this.worker.send({ tend: 'retire' });
      this.worker.disconnect();
    } catch {
      /* already disconnected */
    }
  }

  signal(signal: NodeJS.Signals): void {
    signalPid(this.pid, signal);
  }
}
