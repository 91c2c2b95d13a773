import { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { claimsChildren } from '../spawner/spawn-app.js';
import { zombieChildren } from '../procfs/procfs.js';

const require = createRequire(import.meta.url);
const WNOHANG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const RETRY_MS = 20;

type Waitpid = (pid: number, status: number[], options: number) => number;

/**
 * Reaps orphans. Node never does: libuv waits only for the pids it spawned, so as a container's
 * PID 1 (or as a subreaper) every orphan an app leaves behind stays a zombie (checked: a
 * `(sleep &)` under `unshare --pid` stays `Z` under node). Node has no waitpid(-1) and no
 * prctl, so both come from libc through koffi (an FFI with prebuilt binaries). On SIGCHLD, each
 * zombie child that neither Node nor the app spawner (src/spawner/) started is waited for by its
 * pid, so the apps keep their exit status for the supervisor.
 */
export class Reaper {
  private readonly spawned = new Set<number>();
  private waitpid: Waitpid | null = null;
  private reaped = 0;
  private retry: NodeJS.Timeout | null = null;
  private readonly onChild = (): void => this.sweep();

  /** Starts reaping; returns why it cannot (no koffi or libc), or null. */
  start(becomeSubreaper: boolean): string | null {
    try {
      const koffi = require('koffi') as { load(name: string): { func(sig: string): (...args: unknown[]) => number } };
      const libc = koffi.load('libc.so.6');
      this.waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)') as unknown as Waitpid;
      if (becomeSubreaper)
        libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)')(
          PR_SET_CHILD_SUBREAPER,
          1,
          0,
          0,
          0,
        );
    } catch (err) {
      return `orphaned processes cannot be reaped here (${(err as Error).message.split('\n')[0]})`;
    }
    // Every ChildProcess (spawn, execFile, fork) is Node's own: remember its pid until its exit.
    const spawned = this.spawned;
    const proto = ChildProcess.prototype as unknown as { spawn: (this: ChildProcess, ...args: unknown[]) => unknown };
    const original = proto.spawn;
    proto.spawn = function patched(this: ChildProcess, ...args: unknown[]) {
      const result = original.apply(this, args);
      const pid = this.pid;
      if (pid !== undefined) {
        spawned.add(pid);
        this.once('exit', () => spawned.delete(pid));
      }
      return result;
    };
    process.on('SIGCHLD', this.onChild);
    return null;
  }

  get count(): number {
    return this.reaped;
  }

  /**
   * Waits for every zombie child of ours that neither Node nor the app spawner started. While a
   * launch is under way its pid is not known yet, so the sweep waits for it to finish.
   */
  sweep(): void {
    const waitpid = this.waitpid;
    if (waitpid === null) return;
    const claims = claimsChildren();
    if (claims.launching) {
      this.retry ??= setTimeout(() => {
        this.retry = null;
        this.sweep();
      }, RETRY_MS);
      return;
    }
    for (const pid of zombieChildren(process.pid)) {
      if (this.spawned.has(pid) || claims.owns(pid)) continue;
      if (waitpid(pid, [0], WNOHANG) === pid) this.reaped += 1;
    }
  }

  stop(): void {
    if (this.retry !== null) clearTimeout(this.retry);
    process.off('SIGCHLD', this.onChild);
  }
}
