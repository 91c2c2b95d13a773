import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcStat } from '../procfs/procfs.js';
import type { ProcScan } from './proc-scan.js';
import { findAppProcesses, groupExists, signalApp, signalGroup, signalOutsideGroup, survivors, sweepLeftovers } from './kill-tree.js';
import type { Snapshot } from './process-machine.js';

/** How often leftover processes of an exited app are checked while they are being stopped. */
const TREE_POLL_MS = 50;

/** How the app's main process ended (`unknown`: it died while no daemon watched, or unseen). */
export interface LeaderExit {
  code: number | null;
  signal: string | null;
  unknown: boolean;
}

/** What the drain reads of the app's current run. */
export interface DrainedRun {
  readonly id: number;
  readonly pid: number | null;
  readonly token: string | null;
  readonly startTicks: string | null;
  readonly state: Snapshot['state'];
  readonly spec: AppSpec;
}

export interface DrainDeps {
  afterScan(fn: (scan: ProcScan) => void): void;
  log(event: string, data: Record<string, unknown>): void;
  /** The whole tree is gone (`fast`: an empty process group was enough, leftovers are swept after). */
  done(exit: LeaderExit, fast: boolean): void;
}

/**
 * An app's process tree around its leader's exit: the stop signal to the group and to what left
 * it, and the wait for every member to be gone before the exit is reported.
 */
export class TreeDrain {
  /** Snapshot of the app's processes when a stop began (catches setsid'd descendants). */
  private members: ProcStat[] = [];
  /** The leader is gone; waiting for the rest of the tree. */
  private draining: LeaderExit | null = null;
  private signalled = false;
  private timers = new Map<'tree' | 'tree-poll', NodeJS.Timeout>();

  constructor(
    private readonly run: DrainedRun,
    private readonly deps: DrainDeps,
  ) {}

  /** Whether the leader is gone and the rest of the tree is awaited. */
  get active(): boolean {
    return this.draining !== null;
  }

  /** A new run (a spawn, or a reload's process taking over): nothing known of its tree yet. */
  newRun(spawned: boolean): void {
    this.members = [];
    if (spawned) this.signalled = false;
  }

  /**
   * The app's main process is gone; its exit is reported once the rest of its tree is gone too.
   * With `scan` (a /proc pass just taken, as a daemon's restore has), the tree is checked at once:
   * a leader that died while no daemon ran may still be a zombie nobody reaped, which keeps its
   * group alive for the fast path, and the app must not be listed online with a dead pid until
   * the next spaced scan.
   */
  leaderExited(exit: LeaderExit, scan?: ProcScan): void {
    this.draining = exit;
    if (scan !== undefined && this.run.pid !== null) this.checkWith(exit, scan);
    else this.check();
  }

  private check(): void {
    const draining = this.draining;
    if (draining === null || this.run.pid === null) return;
    // Fast path for a crash: an empty process group (one syscall) means nothing of the app can
    // hold its port through the group, so restart at once; what left the group (setsid) is swept
    // right after. A stop always waits for the whole tree.
    if (this.run.state !== 'stopping' && !this.signalled && this.members.length === 0 && !groupExists(this.run.pid)) {
      this.finish(draining, true);
      return;
    }
    // The rest needs /proc: one scan, taken after this point, shared with every app asking.
    this.deps.afterScan((scan) => {
      if (this.draining === draining) this.checkWith(draining, scan);
    });
  }

  private checkWith(draining: LeaderExit, scan: ProcScan): void {
    const { pid, token, startTicks, spec } = this.run as DrainedRun & { pid: number };
    const left = survivors(pid, this.members, token, startTicks, scan);
    if (left.length === 0) {
      this.finish(draining, false);
      return;
    }
    // Leftovers of a crashed app would hold its port or files: stop them like a stop would.
    if (!this.signalled && this.run.state !== 'stopping') {
      this.signalled = true;
      signalApp(pid, left, spec.killSignal as NodeJS.Signals, scan);
      this.later('tree', spec.killTimeoutMs, () =>
        this.deps.afterScan((later) => {
          if (this.run.pid === pid) signalApp(pid, survivors(pid, left, token, startTicks, later), 'SIGKILL', later);
        }),
      );
    }
    this.members = left;
    this.later('tree-poll', TREE_POLL_MS, () => this.check());
  }

  private finish(draining: LeaderExit, fast: boolean): void {
    const t = this.timers.get('tree');
    if (t !== undefined) clearTimeout(t);
    this.timers.delete('tree');
    this.draining = null;
    const { id, pid, token, startTicks, spec } = this.run as DrainedRun & { pid: number };
    this.deps.done(draining, fast);
    if (!fast) return;
    sweepLeftovers(
      pid,
      token,
      startTicks,
      spec.killSignal as NodeJS.Signals,
      spec.killTimeoutMs,
      (fn) => this.deps.afterScan(fn),
      (n) => this.deps.log('leftovers-stopped', { id, name: spec.name, pid, processes: n }),
    );
  }

  /**
   * The stop signal goes to the process group at once (one syscall reaches every member); the
   * snapshot of the tree (what left the group: setsid'd descendants) is taken at the next
   * shared /proc scan, and those members get the signal then.
   */
  signal(pid: number, signal: NodeJS.Signals): void {
    signalGroup(pid, signal);
    this.deps.afterScan((scan) => {
      if (this.run.pid !== pid) return;
      if (this.members.length === 0) this.members = survivors(pid, findAppProcesses(pid, scan), this.run.token, this.run.startTicks, scan);
      signalOutsideGroup(pid, this.members, signal, scan);
    });
  }

  private later(name: 'tree' | 'tree-poll', ms: number, fn: () => void): void {
    this.timers.set(name, setTimeout(fn, ms));
  }

  /** Daemon shutdown: no more checks. */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
