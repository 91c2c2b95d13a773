import type { AppMetrics, TreeProcess } from '../protocol/metrics.js';
import { CLOCK_TICKS_PER_SECOND, CpuMeter } from './cpu-meter.js';
import { MetricHistory } from './history.js';
import { readAllStats, readAllStatsSliced, type ProcStat } from '../procfs/procfs.js';
import { ownResidentPages, readCmdline, uptimeSeconds } from '../procfs/system.js';
import { assignTrees } from './tree-assign.js';

/** An app as the sampler sees it: its main pid while it runs. */
export interface SampledApp {
  id: number;
  name: string;
  pid: number | null;
  /** Cluster / socket-activated apps: each instance's id and worker pid (the app's pid is its holder's). */
  instances?: Array<{ id: number; pid: number | null }>;
}

export interface SamplerOptions {
  apps(): SampledApp[];
  now(): number;
  /** Interval while nobody watches (default 5 s). */
  idleMs?: number;
  /** Interval while a client watches (monit, web, metrics.subscribe; default 1 s). */
  watchedMs?: number;
  /** Points kept per app (default 600: 10 minutes at the watched rate). */
  historyPoints?: number;
  /**
   * Called after every sample: `apps` has each app's whole tree (a pooled app's pool holder and every
   * worker), `rows` one entry per list row (a pooled app's instances, each its own worker's tree).
   */
  onSample?(apps: AppMetrics[], rows: AppMetrics[]): void;
  /** For tests: the /proc scan. */
  scan?: () => ProcStat[];
}

interface AppState {
  pid: number;
  name: string;
  members: ProcStat[];
  cpuByPid: Map<number, number>;
  cpuPercent: number | null;
  memoryBytes: number | null;
  main: { cpuPercent: number; memoryBytes: number } | null;
  cpuSeconds: number;
  history: MetricHistory;
}

/**
 * The one sampler (DESIGN.md §7): every interval, one scan of /proc for all apps, split into
 * process trees; CPU % and RSS summed per tree plus the main pid's own; a short history per app.
 * It runs slowly while nobody looks and fast while a client watches; with no app running it
 * reads nothing.
 */
export class MetricsSampler {
  private readonly state = new Map<number, AppState>();
  /** Instances of pooled apps, by instance id: their worker's own tree. */
  private readonly instances = new Map<number, AppState>();
  /** Pooled apps, by app id: the holder's own tree (without the workers'). */
  private readonly holders = new Map<number, AppState>();
  private readonly meter = new CpuMeter();
  private readonly pageSize = detectPageSize();
  private timer: NodeJS.Timeout | null = null;
  private watchers = 0;
  private lastAt: number | null = null;
  private closed = false;
  /** A sliced read of /proc is under way (see schedule). */
  private reading = false;
  private readonly idleMs: number;
  private readonly watchedMs: number;

  constructor(private readonly opts: SamplerOptions) {
    this.idleMs = opts.idleMs ?? 5000;
    this.watchedMs = opts.watchedMs ?? 1000;
  }

  start(): void {
    if (this.closed || this.timer !== null) return;
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  get intervalMs(): number {
    return this.watchers > 0 ? this.watchedMs : this.idleMs;
  }

  /** Samples at the fast rate until the returned function is called. */
  watch(): () => void {
    this.watchers += 1;
    if (this.watchers === 1 && !this.closed) this.schedule(0);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.watchers -= 1;
    };
  }

  private schedule(ms: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // A read under way schedules the next sample when it is done.
    if (this.reading) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const take = (stats: ProcStat[] | undefined): void => {
        this.reading = false;
        if (this.closed) return;
        this.sample(stats);
        this.schedule(this.intervalMs);
      };
      // Read over several turns (see readAllStatsSliced), then sampled in one.
      if (this.opts.scan !== undefined || !this.opts.apps().some((a) => a.pid !== null)) {
        take(undefined);
        return;
      }
      this.reading = true;
      readAllStatsSliced(take);
    }, ms);
    this.timer.unref();
  }

  /** One sample now, from `stats` when given (the timer reads them over several turns). */
  sample(given?: ProcStat[]): AppMetrics[] {
    const all = this.opts.apps();
    const known = new Map(all.map((a) => [a.id, a]));
    const apps = all.filter((a) => a.pid !== null) as Array<SampledApp & { pid: number }>;
    const workers = new Map<number, { id: number; name: string; pid: number }>();
    for (const a of apps) for (const w of a.instances ?? []) if (w.pid !== null) workers.set(w.id, { id: w.id, name: a.name, pid: w.pid });
    const now = this.opts.now();
    for (const map of [this.state, this.holders]) {
      for (const [id, st] of map) {
        const app = known.get(id);
        if (app === undefined) map.delete(id);
        else if (app.pid !== st.pid) this.forgetRun(st);
      }
    }
    for (const [id, st] of this.instances) {
      const w = workers.get(id);
      if (w === undefined) this.instances.delete(id);
      else if (w.pid !== st.pid) this.forgetRun(st);
    }
    if (apps.length === 0) {
      this.lastAt = null;
      return [];
    }
    const stats = given ?? (this.opts.scan ?? readAllStats)();
    const ticksOf = this.meter.update(stats, uptimeTicks());
    const seconds = this.lastAt === null ? 0 : (now - this.lastAt) / 1000;
    this.lastAt = now;
    const trees = assignTrees(stats, [...apps.map((a) => a.pid), ...[...workers.values()].map((w) => w.pid)]);
    const measure = (st: AppState, members: ProcStat[]): void => this.measure(st, members, ticksOf, seconds, now);
    const out: AppMetrics[] = [];
    const rows: AppMetrics[] = [];
    for (const app of apps) {
      const own = trees.get(app.pid) ?? [];
      const instances = (app.instances ?? []).filter((w) => w.pid !== null);
      // The app's total: its main pid's tree and, for a pooled app, every worker's.
      measure(this.stateFor(this.state, app), [...own, ...instances.flatMap((w) => trees.get(w.pid as number) ?? [])]);
      const total = this.view(app.id, this.state.get(app.id) as AppState, false);
      out.push(total);
      if (app.instances === undefined) rows.push(total);
      else measure(this.stateFor(this.holders, app), own);
      for (const w of instances) {
        const st = this.stateFor(this.instances, workers.get(w.id) as { id: number; name: string; pid: number });
        measure(st, trees.get(w.pid as number) ?? []);
        rows.push(this.view(w.id, st, false));
      }
    }
    this.opts.onSample?.(out, rows);
    return out;
  }

  /** Fills a state from its members: CPU % since the last sample, RSS, the main pid's own figures. */
  private measure(st: AppState, members: ProcStat[], ticksOf: (s: ProcStat) => number, seconds: number, now: number): void {
    const primed = seconds > 0;
    st.members = members;
    st.cpuByPid.clear();
    let ticks = 0;
    let rss = 0;
    for (const m of members) {
      const t = ticksOf(m);
      ticks += t;
      rss += m.rssPages * this.pageSize;
      if (primed) st.cpuByPid.set(m.pid, pct(t, seconds));
    }
    st.cpuSeconds += ticks / CLOCK_TICKS_PER_SECOND;
    const leader = members[0]?.pid === st.pid ? members[0] : undefined;
    st.memoryBytes = members.length > 0 ? rss : null;
    st.cpuPercent = primed && members.length > 0 ? pct(ticks, seconds) : st.cpuPercent;
    st.main = leader === undefined ? null : { cpuPercent: st.cpuByPid.get(leader.pid) ?? 0, memoryBytes: leader.rssPages * this.pageSize };
    if (st.memoryBytes !== null && st.cpuPercent !== null) st.history.push(now, st.cpuPercent, st.memoryBytes);
  }

  private mapOf(of: Measured): Map<number, AppState> {
    return of === 'app' ? this.state : of === 'instance' ? this.instances : this.holders;
  }

  private stateFor(map: Map<number, AppState>, app: { id: number; name: string; pid: number }): AppState {
    let st = map.get(app.id);
    if (st === undefined) {
      st = {
        pid: app.pid,
        name: app.name,
        members: [],
        cpuByPid: new Map(),
        cpuPercent: null,
        memoryBytes: null,
        main: null,
        cpuSeconds: 0,
        history: new MetricHistory(this.opts.historyPoints ?? 600),
      };
      map.set(app.id, st);
    }
    st.pid = app.pid;
    st.name = app.name;
    return st;
  }

  // A new incarnation (or a stopped app) keeps its history and CPU counter, not its live figures.
  private forgetRun(st: AppState): void {
    st.members = [];
    st.cpuByPid.clear();
    st.cpuPercent = null;
    st.memoryBytes = null;
    st.main = null;
    st.pid = -1;
  }

  private view(id: number, st: AppState, history: boolean, since = 0): AppMetrics {
    return {
      id,
      name: st.name,
      main: st.main,
      cpuPercent: st.cpuPercent,
      memoryBytes: st.memoryBytes,
      cpuSeconds: Math.round(st.cpuSeconds * 100) / 100,
      processes: st.members.length,
      history: history ? st.history.points(since) : [],
    };
  }

  /**
   * The latest figures of an app whose main pid is `pid` (stale figures of another run are not
   * returned); `of`: the app's whole tree, one instance's worker tree (`pid` = the worker's), or
   * a pooled app's pool holder alone (`pid` = the holder's).
   */
  latest(id: number, pid: number | null, of: Measured = 'app'): { cpuPercent: number | null; memoryBytes: number | null } {
    const st = this.mapOf(of).get(id);
    if (st === undefined || pid === null || st.pid !== pid) return { cpuPercent: null, memoryBytes: null };
    return { cpuPercent: st.cpuPercent === null ? null : Math.round(st.cpuPercent * 10) / 10, memoryBytes: st.memoryBytes };
  }

  /** What is known of an app, with its history when asked (only points at or after `since`). */
  metrics(id: number, name: string, withHistory: boolean, since = 0, of: Measured = 'app'): AppMetrics {
    const st = this.mapOf(of).get(id);
    if (st === undefined) return { id, name, main: null, cpuPercent: null, memoryBytes: null, cpuSeconds: 0, processes: 0, history: [] };
    return this.view(id, st, withHistory, since);
  }

  /** The pids of the app's tree as last sampled (main pid first), with the main pid they belong to. */
  pids(id: number): { pid: number; pids: number[] } | null {
    const st = this.mapOf('app').get(id);
    return st === undefined || st.pid === -1 ? null : { pid: st.pid, pids: st.members.map((m) => m.pid) };
  }

  /** The app's (or instance's) processes as last sampled, main pid first, with their command lines. */
  tree(id: number, of: Measured = 'app'): TreeProcess[] {
    const st = this.mapOf(of).get(id);
    if (st === undefined) return [];
    return st.members.map((m) => ({
      pid: m.pid,
      ppid: m.ppid,
      command: readCmdline(m.pid)?.slice(0, 500) ?? `[${m.pid}]`,
      cpuPercent: st.cpuByPid.has(m.pid) ? Math.round((st.cpuByPid.get(m.pid) as number) * 10) / 10 : null,
      memoryBytes: m.rssPages * this.pageSize,
    }));
  }
}

/** What a figure is measured over: an app's whole tree, one instance's worker, or a holder alone. */
export type Measured = 'app' | 'instance' | 'holder';

function pct(ticks: number, seconds: number): number {
  return (ticks / CLOCK_TICKS_PER_SECOND / seconds) * 100;
}

/** Ticks since boot; 0 when /proc/uptime cannot be read. */
function uptimeTicks(): number {
  return (uptimeSeconds() ?? 0) * CLOCK_TICKS_PER_SECOND;
}

/** The page size, from this process's own RSS in pages and in bytes (no syscall for it in Node). */
function detectPageSize(): number {
  const pages = ownResidentPages();
  if (pages === null || !(pages > 0)) return 4096;
  const ratio = process.memoryUsage.rss() / pages;
  for (const size of [4096, 16384, 65536]) if (ratio < size * 1.5) return size;
  return 4096;
}
