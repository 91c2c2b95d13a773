import type { LimitKind } from './handle-types.js';
import type { OneInstance } from './instance-ops.js';
import { reloadPool } from './pool-ops.js';
import type { ProcessHandle } from './process-handle.js';
import { isUpState } from './process-machine.js';

export interface LimitRestartDeps {
  now(): number;
  log(event: string, data: Record<string, unknown>): void;
  lastStderr(h: ProcessHandle): Promise<string[]>;
  /** The app's counters changed outside a state event: write them down. */
  persist(): void;
}

/**
 * Restarts tend decides on its own (memory limit, cron, failed health checks): graceful, like
 * `tend restart` (stop signal, kill_timeout, then start), counted and logged with their reason.
 * Cluster and socket-activated apps reload instead (one process at a time, the port never
 * closes), one reload at a time per app.
 */
export class LimitRestarts {
  /** Apps being reloaded because of a limit. */
  private readonly reloading = new Set<number>();
  /** Instances (by id) being restarted because of a limit. */
  private readonly replacing = new Set<number>();

  constructor(private readonly deps: LimitRestartDeps) {}

  /** Ignored (false) unless the app is running: a stop or restart already under way wins. */
  restart(h: ProcessHandle | undefined, kind: LimitKind, reason: string): boolean {
    if (h === undefined || !isUpState(h.state)) return false;
    const id = h.id;
    if (this.reloading.has(id)) return false;
    h.countLimitRestart(kind, reason, this.deps.now());
    const reload = h.pool !== null && h.pool.running && h.state === 'online';
    this.deps.log('limit-restart', { id, name: h.spec.name, pid: h.pid, kind, reason, how: reload ? 'reload' : 'restart' });
    if (!reload) {
      h.dispatch({ type: 'restart' });
      return true;
    }
    this.reloading.add(id);
    reloadPool(h, 1, undefined, (x) => this.deps.lastStderr(x))
      .catch((err: unknown) => this.deps.log('limit-reload-failed', { id, name: h.spec.name, error: (err as Error).message }))
      .finally(() => {
        this.reloading.delete(id);
        this.deps.persist();
      });
    return true;
  }

  /**
   * One instance of a running pooled app over its own limit (a worker's memory, as PM2 checks
   * each process): its holder replaces that worker alone, the others keep serving. Counted on
   * the app, logged with the instance's id. Ignored (false) while the app is not online or the
   * instance is already being replaced.
   */
  restartInstance(one: OneInstance, id: number, kind: LimitKind, reason: string): boolean {
    const h = one.handle;
    const pool = h.pool;
    if (pool === null || !pool.running || h.state !== 'online' || this.replacing.has(id)) return false;
    h.countLimitRestart(kind, reason, this.deps.now());
    this.deps.log('limit-restart', { id: h.id, name: h.spec.name, instanceId: id, kind, reason, how: 'restart-instance' });
    this.replacing.add(id);
    pool.holder
      .call('restart-instance', { instance: one.instance })
      .catch((err: unknown) => this.deps.log('limit-restart-failed', { id: h.id, instanceId: id, error: (err as Error).message }))
      .finally(() => {
        this.replacing.delete(id);
        this.deps.persist();
      });
    return true;
  }
}
