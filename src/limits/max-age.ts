import { setLongTimeout, type LongTimeout } from '../lib/long-timeout.js';
/**
 * `max_age`: each run of an app is recycled (a graceful restart, or a rolling reload for cluster
 * and `listen` apps) once it is max_age old plus a random share of max_age_jitter, so apps
 * started together are not all recycled at the same moment. One timer per running app.
 */
export class MaxAges {
  /** Per app: the run the timer is for; `timer` null once it fired (the same run is never recycled twice). */
  private readonly timers = new Map<number, { key: string; timer: LongTimeout | null; at: number }>();

  constructor(
    private readonly fire: (id: number, ageMs: number) => void,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The app's current run (pid, and its start or last rolling reload) and setting; null or a stopped app clears it. */
  set(id: number, run: { pid: number; startedAt: number } | null, maxAgeMs: number | undefined, jitterMs: number): void {
    const key = run === null || maxAgeMs === undefined ? '' : `${run.pid} ${run.startedAt} ${maxAgeMs} ${jitterMs}`;
    const current = this.timers.get(id);
    if (current?.key === key) return;
    current?.timer?.cancel();
    this.timers.delete(id);
    if (key === '' || run === null || maxAgeMs === undefined) return;
    const at = run.startedAt + maxAgeMs + Math.floor(this.random() * jitterMs);
    const entry: { key: string; timer: LongTimeout | null; at: number } = { key, timer: null, at };
    entry.timer = setLongTimeout(() => {
      entry.timer = null;
      this.fire(id, this.now() - run.startedAt);
    }, at - this.now());
    this.timers.set(id, entry);
  }

  /** When the current run will be recycled (epoch ms), or null. */
  next(id: number): number | null {
    const t = this.timers.get(id);
    return t?.timer == null ? null : t.at;
  }

  close(): void {
    for (const t of this.timers.values()) t.timer?.cancel();
    this.timers.clear();
  }
}
