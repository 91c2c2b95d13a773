import type { ProcStat } from '../procfs/procfs.js';

/** USER_HZ: the unit of /proc's tick counts; 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

interface Seen {
  startTicks: string;
  ticks: number;
}

/**
 * CPU use per process between two scans, from the utime+stime tick counters of /proc/PID/stat.
 * A process is told apart from a reused pid by its start time. A process born since the previous
 * scan counts all its ticks; one seen for the first time but older (the first scan) counts none.
 */
export class CpuMeter {
  private seen = new Map<number, Seen>();
  private lastUptimeTicks: number | null = null;

  /**
   * Takes a full scan; returns a function giving each process's ticks used since the previous scan.
   * `uptimeTicks`: ticks since boot now (from /proc/uptime), to know who was born since.
   */
  update(stats: readonly ProcStat[], uptimeTicks: number): (st: ProcStat) => number {
    const previous = this.seen;
    const since = this.lastUptimeTicks;
    const next = new Map<number, Seen>();
    const deltas = new Map<number, number>();
    for (const st of stats) {
      const ticks = st.utimeTicks + st.stimeTicks;
      next.set(st.pid, { startTicks: st.startTicks, ticks });
      const before = previous.get(st.pid);
      if (before !== undefined && before.startTicks === st.startTicks) deltas.set(st.pid, Math.max(0, ticks - before.ticks));
      else if (since !== null && Number(st.startTicks) >= since) deltas.set(st.pid, ticks);
      else deltas.set(st.pid, 0);
    }
    this.seen = next;
    this.lastUptimeTicks = uptimeTicks;
    return (st) => deltas.get(st.pid) ?? 0;
  }

  /** True once two scans have been taken (the first has no baseline). */
  get primed(): boolean {
    return this.lastUptimeTicks !== null;
  }
}
