import { runProbe, type Command, type ProbeContext, type ProbeResult } from './probe.js';
import { freshHealth, nextHealth, type HealthState } from './health-state.js';
import type { AppSpec } from '../protocol/app-spec.js';

export interface HealthMonitorDeps {
  now(): number;
  /** The first passing check of a run. */
  onReady(id: number): void;
  /** The app stayed unhealthy: restart it. */
  onUnhealthy(id: number, reason: string): void;
  /** The status changed (for list and events). */
  onChange(id: number): void;
  /** How a command of the app runs (its exec check): as its user when it has `uid`/`gid`. */
  asApp(spec: AppSpec, command: Command): Command;
  /** For tests. */
  probe?: (spec: AppSpec, ctx: ProbeContext) => Promise<ProbeResult>;
}

/** While an app waits for readiness, it is checked at least this often. */
const READY_POLL_MS = 500;

interface Run {
  pid: number;
  spec: AppSpec;
  state: HealthState;
  timer: NodeJS.Timeout | null;
  /** Set when the run is over: an answer arriving later is thrown away. */
  over: boolean;
  /** Polling fast for readiness (wait_ready) until the first pass. */
  waiting: boolean;
  /** While polling fast, a failure counts at most once per interval. */
  lastCounted: number;
}

/** Runs every app's health check on its own interval, one check at a time per app. */
export class HealthMonitor {
  private runs = new Map<number, Run>();
  private closed = false;

  constructor(private readonly deps: HealthMonitorDeps) {}

  /** Starts checking a run of an app (a new pid = a new run with a fresh start_period). */
  track(id: number, pid: number, spec: AppSpec, waitingReady: boolean): void {
    const health = spec.health ?? null;
    const current = this.runs.get(id);
    if (health === null || this.closed) return this.untrack(id);
    if (current !== undefined && current.pid === pid && current.spec === spec) return;
    this.untrack(id);
    const now = this.deps.now();
    const run: Run = { pid, spec, state: freshHealth(now), timer: null, over: false, waiting: waitingReady, lastCounted: now };
    this.runs.set(id, run);
    this.schedule(id, run, waitingReady ? Math.min(100, health.intervalMs) : health.intervalMs);
    this.deps.onChange(id);
  }

  untrack(id: number): void {
    const run = this.runs.get(id);
    if (run === undefined) return;
    run.over = true;
    if (run.timer !== null) clearTimeout(run.timer);
    this.runs.delete(id);
  }

  status(id: number, pid: number | null): HealthState | null {
    const run = this.runs.get(id);
    return run === undefined || run.pid !== pid ? null : run.state;
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.runs.keys()]) this.untrack(id);
  }

  private schedule(id: number, run: Run, ms: number): void {
    run.timer = setTimeout(() => {
      run.timer = null;
      void this.check(id, run);
    }, ms);
    run.timer.unref();
  }

  private async check(id: number, run: Run): Promise<void> {
    const health = run.spec.health;
    if (health === null || run.over) return;
    const spec = run.spec;
    const ctx = { cwd: spec.cwd, env: spec.env, timeoutMs: health.timeoutMs, asApp: (c: Command) => this.deps.asApp(spec, c) };
    const result = await (this.deps.probe ?? ((s: AppSpec, c: ProbeContext) => runProbe(health.probe, c)))(run.spec, ctx);
    if (run.over) return;
    const now = this.deps.now();
    if (run.waiting && !result.ok && now - run.lastCounted < health.intervalMs) {
      run.state = { ...run.state, last: { ok: false, at: now, message: result.message } };
      this.schedule(id, run, Math.min(READY_POLL_MS, health.intervalMs));
      return;
    }
    if (!result.ok) run.lastCounted = now;
    const before = run.state.status;
    const d = nextHealth(run.state, result, health, now);
    run.state = d.next;
    if (before !== d.next.status) this.deps.onChange(id);
    if (d.ready) this.deps.onReady(id);
    if (d.restart !== null) {
      this.untrack(id);
      this.deps.onUnhealthy(id, d.restart);
      return;
    }
    if (run.state.passedOnce) run.waiting = false;
    this.schedule(id, run, run.waiting ? Math.min(READY_POLL_MS, health.intervalMs) : health.intervalMs);
  }
}
