import { HealthMonitor } from '../health/health-monitor.js';
import { CronRestarts } from '../limits/cron-restarts.js';
import { JobSchedules, type RunCause } from '../limits/job-schedules.js';
import { alongsideSpec } from '../limits/job-alongside.js';
import { MaxAges } from '../limits/max-age.js';
import { formatDuration } from '../lib/duration.js';
import { memoryOverLimit } from '../limits/memory-limit.js';
import { isScheduled } from '../config/schedule.js';
import { isRunning } from '../supervisor/process-machine.js';
import { PortScanner, type PortScanApp } from '../metrics/ports.js';
import { MetricsSampler } from '../metrics/sampler.js';
import type { AppMetrics, HolderFigures } from '../protocol/metrics.js';
import type { ProcessDetail, ProcessInfo } from '../protocol/process-info.js';
import type { SavedJob } from '../protocol/process-info.js';
import type { Observed } from '../supervisor/handle-types.js';
import { isUpState } from '../supervisor/process-machine.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Sampled } from '../supervisor/pool-ops.js';
import { asApp } from '../supervisor/launch-request.js';

export interface ObserverOptions {
  now(): number;
  log(event: string, data: Record<string, unknown>): void;
  /** Sampling interval while nobody watches / while a client watches (ms). */
  idleMs: number;
  watchedMs: number;
  /** Writes a line of tend's own into an app's log (a scheduled job's run header). */
  note?(id: number, line: string): void;
  /** Scheduled jobs' records the previous daemon kept, and where to keep them (see JobSchedulesOptions). */
  savedJobs?: Map<number, SavedJob>;
  saveJobs?(jobs: SavedJob[]): void;
  /** The log files of a run alongside (overlap: allow), by its app name. */
  runLogs(name: string): { out: string; err: string };
}

type ObservedDetail = Pick<
  ProcessDetail,
  'tree' | 'limitRestarts' | 'lastLimitRestart' | 'nextCronAt' | 'lastHealthCheck' | 'nextRecycleAt'
>;

/**
 * Watches over the running apps from outside: the sampler (CPU, memory), the memory limit checked
 * at every sample, cron restarts and health checks. It acts only through the supervisor's
 * methods (autoRestart, markReady), like any client would.
 */
export class Observer {
  readonly sampler: MetricsSampler;
  private readonly health: HealthMonitor;
  private readonly cron: CronRestarts;
  readonly jobs: JobSchedules;
  private readonly ages: MaxAges;
  private readonly listeners = new Set<(rows: AppMetrics[]) => void>();
  private supervisor: Supervisor | null = null;
  private publishedAt = 0;
  private readonly portScanner = new PortScanner();
  private portsAt = -Infinity;

  constructor(private readonly opts: ObserverOptions) {
    this.sampler = new MetricsSampler({
      now: opts.now,
      idleMs: opts.idleMs,
      watchedMs: opts.watchedMs,
      apps: () => this.supervisor?.sampled() ?? [],
      onSample: (apps, rows) => this.afterSample(apps, rows),
    });
    this.health = new HealthMonitor({
      now: opts.now,
      onReady: (id) => this.supervisor?.markReady(id),
      onUnhealthy: (id, reason) => this.supervisor?.autoRestart(id, 'health', reason),
      onChange: (id) => this.supervisor?.observedChanged(id),
      asApp,
    });
    this.ages = new MaxAges(
      (id, ageMs) => this.supervisor?.autoRestart(id, 'age', `max_age: its process was ${formatDuration(ageMs)} old`),
      opts.now,
    );
    this.jobs = new JobSchedules({
      now: opts.now,
      run: (id, why) => {
        this.opts.note?.(id, `[tend] run started (${why}) at ${new Date(opts.now()).toISOString()}`);
        void this.supervisor?.startTarget(id).catch((err: Error) => opts.log('job-run-failed', { id, error: err.message }));
      },
      runAlongside: (id, why) => this.runAlongside(id, why),
      finished: (runId) => {
        void this.supervisor?.delete(runId).catch((err: Error) => opts.log('job-run-delete-failed', { id: runId, error: err.message }));
      },
      running: (id) => {
        const s = this.supervisor?.handle(id)?.state;
        return s !== undefined && (isRunning(s) || s === 'waiting');
      },
      changed: (id) => this.supervisor?.observedChanged(id),
      log: opts.log,
      ...(opts.savedJobs === undefined ? {} : { saved: opts.savedJobs }),
      ...(opts.saveJobs === undefined ? {} : { save: opts.saveJobs }),
    });
    this.cron = new CronRestarts((id, pattern) => this.supervisor?.autoRestart(id, 'cron', `cron_restart \`${pattern}\``), opts.log);
  }

  /** Binds the supervisor (built after the observer, since it asks the observer for figures). */
  attach(supervisor: Supervisor): void {
    this.supervisor = supervisor;
    for (const info of supervisor.list()) this.onState(info);
    this.sampler.start();
  }

  /** overlap: allow: another run of job `id`, as an app `<job>~N` of its own (see job-alongside.ts). */
  private runAlongside(id: number, why: RunCause): void {
    const sup = this.supervisor;
    const h = sup?.handle(id);
    if (sup === null || h === undefined) return;
    const taken = new Set(sup.list().map((p) => p.name));
    let n = 2;
    while (taken.has(`${h.spec.name}~${n}`)) n += 1;
    const name = `${h.spec.name}~${n}`;
    const logs = this.opts.runLogs(name);
    this.opts.note?.(
      id,
      `[tend] run started (${why}) at ${new Date(this.opts.now()).toISOString()} alongside the running one, as ${name}; its output: ${logs.out}`,
    );
    sup
      .start(alongsideSpec(h.spec, id, name, logs))
      .catch((err: Error) => this.opts.log('job-run-failed', { id, name, error: err.message }));
  }

  /** The runs alongside these jobs (stopped and deleted with them). */
  alongsideOf(ids: readonly number[]): number[] {
    return this.jobs.alongside.idsOf(ids);
  }

  /** For the supervisor: the live figures of a run. */
  observe(id: number, pid: number | null): Observed {
    const m = this.sampler.latest(id, pid);
    return {
      cpuPercent: m.cpuPercent,
      memoryBytes: m.memoryBytes,
      health: this.health.status(id, pid)?.status ?? null,
      ports: this.portScanner.ports(id, pid),
      job: this.jobs.status(id),
    };
  }

  /** For the supervisor: the live figures of one instance of a pooled app (its worker's own tree). */
  observeInstance(id: number, pid: number | null): { cpuPercent: number | null; memoryBytes: number | null } {
    return this.sampler.latest(id, pid, 'instance');
  }

  /** Every state change of an app: (re)arm its health checks and cron schedule. */
  onState(info: ProcessInfo, deleted = false): void {
    const h = this.supervisor?.handle(info.id);
    if (deleted) this.jobs.alongside.drop(info.id);
    else if (h?.spec.runOf !== undefined) this.jobs.onRunState(info, h.spec.runOf);
    if (deleted || h === undefined) {
      this.health.untrack(info.id);
      this.cron.set(info.id, null);
      this.jobs.set(info.id, null);
      this.ages.set(info.id, null, undefined, 0);
      return;
    }
    // A pooled app's processes are as old as its last rolling reload (its holder keeps its pid).
    const since = Math.max(h.startedAt ?? 0, h.pool?.lastReload?.at ?? 0);
    this.ages.set(
      info.id,
      h.pid !== null && h.startedAt !== null && h.state === 'online' ? { pid: h.pid, startedAt: since } : null,
      h.spec.maxAgeMs,
      h.spec.maxAgeJitterMs ?? 0,
    );
    this.jobs.set(info.id, isScheduled(h.spec) ? h.spec : null, h.createdAt);
    this.jobs.onState(info);
    this.cron.set(info.id, h.spec.cronRestart ?? null);
    const live = h.pid !== null && isUpState(h.state);
    if (live) this.health.track(info.id, h.pid as number, h.spec, h.spec.waitReady && h.state !== 'online');
    else this.health.untrack(info.id);
  }

  /** `instance`: the instance (a pooled app's row) whose worker tree is shown instead of the app's. */
  detail(id: number, pid: number | null, instance: { id: number; pid: number | null } | null = null): ObservedDetail {
    const h = this.supervisor?.handle(id);
    const state = this.health.status(id, pid);
    const tree =
      instance === null
        ? pid === null
          ? []
          : this.sampler.tree(id)
        : instance.pid === null
          ? []
          : this.sampler.tree(instance.id, 'instance');
    return {
      tree,
      limitRestarts: h?.limits.counts ?? { memory: 0, cron: 0, health: 0 },
      ...(h?.spec.maxAgeMs === undefined ? {} : { nextRecycleAt: this.ages.next(id) }),
      lastLimitRestart: h?.limits.last ?? null,
      nextCronAt: this.cron.next(id),
      lastHealthCheck: state?.last ?? null,
    };
  }

  /** A pooled app's holder alone and the app's total (see ProcessDetail.holder). */
  holderFigures(id: number, pid: number | null): HolderFigures {
    const own = this.sampler.latest(id, pid, 'holder');
    return { pid, cpuPercent: own.cpuPercent, memoryBytes: own.memoryBytes, app: this.sampler.latest(id, pid) };
  }

  /** Metrics of every list row after every sample, at the fast rate while at least one listener is there. */
  subscribe(fn: (rows: AppMetrics[]) => void): () => void {
    this.listeners.add(fn);
    const unwatch = this.sampler.watch();
    return () => {
      this.listeners.delete(fn);
      unwatch();
    };
  }

  private afterSample(apps: AppMetrics[], rows: AppMetrics[]): void {
    const sup = this.supervisor;
    if (sup === null) return;
    // Pooled apps' workers, by app id: read once, for the first app with a limit.
    let pooled: Map<number, Sampled> | null = null;
    for (const m of apps) {
      const h = sup.handle(m.id);
      if (h === undefined || (h.state !== 'online' && h.state !== 'waiting-ready')) continue;
      const limit = h.spec.maxMemoryRestartBytes;
      if (limit == null) continue;
      pooled ??= new Map(sup.sampled().flatMap((x) => (x.instances === undefined ? [] : [[x.id, x] as const])));
      const instances = pooled.get(m.id)?.instances;
      if (instances === undefined) {
        const reason = memoryOverLimit(m, limit);
        if (reason !== null) sup.autoRestart(m.id, 'memory', reason);
        continue;
      }
      // A pooled app's limit is each worker's, as PM2 applies it to each process: not the
      // holder's, nor the sum of them all (which a reload could never bring under it).
      for (const inst of instances) {
        if (inst.pid === null) continue;
        const seen = this.sampler.latest(inst.id, inst.pid, 'instance');
        const reason = memoryOverLimit({ memoryBytes: seen.memoryBytes, processes: 1, main: null }, limit);
        if (reason !== null) sup.autoRestartInstance(inst.id, 'memory', reason);
      }
    }
    const now = this.opts.now();
    this.scanPorts(apps, now);
    // `tend list` reads the published status: keep its cpu and mem columns current (at the idle
    // rate: a watcher's fast samples go to the watcher, not to the disk).
    if (now - this.publishedAt >= this.opts.idleMs - 50) {
      this.publishedAt = now;
      sup.publishStatus();
    }
    // Ports by list row: an app's, or a pooled app's (found over its whole tree) on its first row.
    const withPorts =
      this.listeners.size === 0
        ? rows
        : rows.map((m) => {
            const ports = this.portScanner.ports(m.id, this.sampler.pids(m.id)?.pid ?? null);
            return ports === null ? m : { ...m, ports };
          });
    for (const fn of [...this.listeners]) {
      try {
        fn(withPorts);
      } catch (err) {
        this.opts.log('metrics-listener-failed', { error: (err as Error).message });
      }
    }
  }

  /**
   * Listening ports, over each app's tree as just sampled: at most once per idle interval (its fds
   * are read a slice at a time), and at once for a run that has none yet (a new app shows its
   * ports at the next sample).
   */
  private scanPorts(apps: AppMetrics[], now: number): void {
    const trees = apps.flatMap((m): PortScanApp[] => {
      const t = this.sampler.pids(m.id);
      return t === null ? [] : [{ id: m.id, ...t }];
    });
    const unseen = trees.some((t) => this.portScanner.ports(t.id, t.pid) === null);
    if (!unseen && now - this.portsAt < this.opts.idleMs - 50) return;
    this.portsAt = now;
    this.portScanner.scan(trees, (changed) => {
      if (changed) this.supervisor?.publishStatus();
    });
  }

  close(): void {
    this.sampler.close();
    this.health.close();
    this.cron.close();
    this.jobs.close();
    this.ages.close();
    this.listeners.clear();
  }
}
