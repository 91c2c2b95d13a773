import { readFileSync } from 'node:fs';
import type { AppMetrics, TreeProcess } from '../protocol/model.js';
import { CLOCK_TICKS_PER_SECOND, CpuMeter } from './cpu-meter.js';
import { MetricHistory } from './history.js';
import { readAllStats, readAllStatsSliced, type ProcStat } from './procfs.js';
import { assignTrees } from './tree-assign.js';

/** An app as the sampler sees it: its main pid while it runs. */
export interface SampledApp {
  id: number;
  name: string;
  pid: number | null;
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
  /** Called after every sample, with the apps that were sampled. */
  onSample?(apps: AppMetrics[]): void;
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
    const now = this.opts.now();
    for (const [id, st] of this.state) {
      const app = known.get(id);
      if (app === undefined) this.state.delete(id);
      else if (app.pid !== st.pid) this.forgetRun(st);
    }
    if (apps.length === 0) {
      this.lastAt = null;
      return [];
    }
    const stats = given ?? (this.opts.scan ?? readAllStats)();
    const ticksOf = this.meter.update(stats, uptimeTicks());
    const seconds = this.lastAt === null ? 0 : (now - this.lastAt) / 1000;
    const primed = this.lastAt !== null;
    this.lastAt = now;
    const trees = assignTrees(stats, apps.map((a) => a.pid));
    const out: AppMetrics[] = [];
    for (const app of apps) {
      const st = this.stateFor(app);
      const members = trees.get(app.pid) ?? [];
      st.members = members;
      st.cpuByPid.clear();
      let ticks = 0;
      let rss = 0;
      for (const m of members) {
        const t = ticksOf(m);
        ticks += t;
        rss += m.rssPages * this.pageSize;
        if (primed && seconds > 0) st.cpuByPid.set(m.pid, pct(t, seconds));
      }
      st.cpuSeconds += ticks / CLOCK_TICKS_PER_SECOND;
      const leader = members[0]?.pid === app.pid ? members[0] : undefined;
      st.memoryBytes = members.length > 0 ? rss : null;
      st.cpuPercent = primed && seconds > 0 && members.length > 0 ? pct(ticks, seconds) : st.cpuPercent;
      st.main = leader === undefined ? null : { cpuPercent: st.cpuByPid.get(leader.pid) ?? 0, memoryBytes: leader.rssPages * this.pageSize };
      if (st.memoryBytes !== null && st.cpuPercent !== null) st.history.push(now, st.cpuPercent, st.memoryBytes);
      out.push(this.view(app.id, st, false));
    }
    this.opts.onSample?.(out);
    return out;
  }

  private stateFor(app: SampledApp & { pid: number }): AppState {
    let st = this.state.get(app.id);
    if (st === undefined) {
      st = { pid: app.pid, name: app.name, members: [], cpuByPid: new Map(), cpuPercent: null, memoryBytes: null, main: null, cpuSeconds: 0, history: new MetricHistory(this.opts.historyPoints ?? 600) };
      this.state.set(app.id, st);
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
      id, name: st.name, main: st.main, cpuPercent: st.cpuPercent, memoryBytes: st.memoryBytes,
      cpuSeconds: Math.round(st.cpuSeconds * 100) / 100, processes: st.members.length,
      history: history ? st.history.points(since) : [],
    };
  }

  /** The latest figures of an app whose main pid is `pid` (stale figures of another run are not returned). */
  latest(id: number, pid: number | null): { cpuPercent: number | null; memoryBytes: number | null } {
    const st = this.state.get(id);
    if (st === undefined || pid === null || st.pid !== pid) return { cpuPercent: null, memoryBytes: null };
    return { cpuPercent: st.cpuPercent === null ? null : Math.round(st.cpuPercent * 10) / 10, memoryBytes: st.memoryBytes };
  }

  /** What is known of an app, with its history when asked (only points at or after `since`). */
  metrics(id: number, name: string, withHistory: boolean, since = 0): AppMetrics {
    const st = this.state.get(id);
    if (st === undefined) return { id, name, main: null, cpuPercent: null, memoryBytes: null, cpuSeconds: 0, processes: 0, history: [] };
    return this.view(id, st, withHistory, since);
  }

  /** The pids of the app's tree as last sampled (main pid first), with the main pid they belong to. */
  pids(id: number): { pid: number; pids: number[] } | null {
    const st = this.state.get(id);
    return st === undefined || st.pid === -1 ? null : { pid: st.pid, pids: st.members.map((m) => m.pid) };
  }

  /** The app's processes as last sampled, main pid first, with their command lines. */
  tree(id: number): TreeProcess[] {
    const st = this.state.get(id);
    if (st === undefined) return [];
    return st.members.map((m) => ({
      pid: m.pid, ppid: m.ppid, command: commandLine(m.pid) ?? `[${m.pid}]`,
      cpuPercent: st.cpuByPid.has(m.pid) ? Math.round((st.cpuByPid.get(m.pid) as number) * 10) / 10 : null,
      memoryBytes: m.rssPages * this.pageSize,
    }));
  }
}

function pct(ticks: number, seconds: number): number {
  return (ticks / CLOCK_TICKS_PER_SECOND / seconds) * 100;
}

/** Ticks since boot, from /proc/uptime. */
function uptimeTicks(): number {
  try {
    return Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]) * CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** /proc/PID/cmdline: NUL-separated arguments; empty for kernel threads and zombies. */
function commandLine(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    return text.length > 0 ? text.slice(0, 500) : null;
  } catch {
    return null;
  }
}

/** The page size, from this process's own RSS in pages and in bytes (no syscall for it in Node). */
function detectPageSize(): number {
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    const ratio = process.memoryUsage.rss() / pages;
    for (const size of [4096, 16384, 65536]) if (ratio < size * 1.5) return size;
  } catch { /* fall through */ }
  return 4096;
}
