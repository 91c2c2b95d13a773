import { readAllStats, readAllStatsSliced, type ProcStat } from '../procfs/procfs.js';
import { readEnvVar } from '../procfs/system.js';
import { monotonicMs } from '../lib/monotonic.js';
import { SpacingBudget } from '../lib/spacing-budget.js';

/** Environment variable carrying a per-incarnation token, inherited by every descendant. */
export const TOKEN_VAR = 'TEND_INSTANCE_TOKEN';

/**
 * One pass over /proc with the indexes the kill-tree code needs (by pid, group, session,
 * parent), built on first use. A `restart all` of 1,000 apps asks "which processes are this
 * app's?" thousands of times; answering each from its own pass over /proc (and re-reading every
 * young process's environment for the token) was the O(n²) that took minutes. With a shared
 * scan each question costs the size of the app's own tree.
 */
export class ProcScan {
  private byPid: Map<number, ProcStat> | undefined;
  private byGroup: Map<number, ProcStat[]> | undefined;
  private byParent: Map<number, ProcStat[]> | undefined;
  private tokens = new Map<number, string | null>();

  /**
   * @param stats every live process
   * @param managedLeaders pids of the apps' leaders: a process in one of their sessions belongs
   *   to that app, so only processes outside them are searched for an app's token
   */
  constructor(
    readonly stats: ProcStat[],
    private readonly managedLeaders: ReadonlySet<number> = new Set(),
  ) {}

  static read(managedLeaders?: ReadonlySet<number>): ProcScan {
    return new ProcScan(readAllStats(), managedLeaders);
  }

  get(pid: number): ProcStat | undefined {
    this.byPid ??= new Map(this.stats.map((s) => [s.pid, s]));
    return this.byPid.get(pid);
  }

  /** The same process still alive: same pid and start time. */
  alive(member: ProcStat): ProcStat | undefined {
    const now = this.get(member.pid);
    return now !== undefined && now.startTicks === member.startTicks ? now : undefined;
  }

  /** Processes whose process group or session is `leader`'s (an app's own tree, short of setsid). */
  groupOrSession(leader: number): ProcStat[] {
    if (this.byGroup === undefined) {
      const index = new Map<number, ProcStat[]>();
      const add = (key: number, st: ProcStat): void => {
        const list = index.get(key);
        if (list === undefined) index.set(key, [st]);
        else if (list[list.length - 1] !== st) list.push(st);
      };
      for (const st of this.stats) {
        add(st.pgrp, st);
        if (st.session !== st.pgrp) add(st.session, st);
      }
      this.byGroup = index;
    }
    return this.byGroup.get(leader) ?? [];
  }

  children(pid: number): ProcStat[] {
    if (this.byParent === undefined) {
      const index = new Map<number, ProcStat[]>();
      for (const st of this.stats) {
        const list = index.get(st.ppid);
        if (list === undefined) index.set(st.ppid, [st]);
        else list.push(st);
      }
      this.byParent = index;
    }
    return this.byParent.get(pid) ?? [];
  }

  /**
   * Processes that could be an escaped member of some app: outside every app leader's session,
   * not the daemon, born at or after `sinceTicks`. Their environment is read once per scan.
   */
  withToken(token: string, sinceTicks: number): ProcStat[] {
    const out: ProcStat[] = [];
    for (const st of this.stats) {
      if (st.pid === process.pid || this.managedLeaders.has(st.session) || Number(st.startTicks) < sinceTicks) continue;
      if (this.tokenOf(st.pid) === token) out.push(st);
    }
    return out;
  }

  /** The run token in a process's environment (null when none, or not readable). */
  tokenOf(pid: number): string | null {
    const known = this.tokens.get(pid);
    if (known !== undefined) return known;
    const token = readEnvVar(pid, TOKEN_VAR);
    this.tokens.set(pid, token);
    return token;
  }
}

/**
 * Scanning /proc reads a file per process on the machine: with 1,000 apps, ~10 ms. Everything
 * that needs a scan asks for one here and is called back with a scan taken after it asked (so
 * it never decides on an older picture), shared by every request made meanwhile; and scans are
 * spaced so that scanning takes at most about a quarter of the daemon's time however many apps
 * exit. One scan per exit would make a `restart all` quadratic again.
 */
export class ProcScanScheduler {
  private waiting: Array<(scan: ProcScan) => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly spacing = new SpacingBudget(SCAN_GAP_PER_COST, SCAN_BURST_MS);
  private closed = false;

  constructor(
    private readonly managedLeaders: () => ReadonlySet<number>,
    private readonly onError: (err: unknown) => void,
  ) {}

  afterScan(fn: (scan: ProcScan) => void): void {
    if (this.closed) return;
    this.waiting.push(fn);
    // While a batch is being served, `timer` is set too: the next scan follows that batch.
    this.timer ??= setTimeout(() => this.run(), this.spacing.waitMs());
  }

  private run(): void {
    const batch = this.waiting;
    this.waiting = [];
    const started = monotonicMs();
    // Read over several turns (see readAllStatsSliced): `timer` stays set meanwhile, so requests
    // made during the read wait for the next scan, which is taken after they asked.
    readAllStatsSliced((stats) => {
      if (this.closed) return;
      const scan = new ProcScan(stats, this.managedLeaders());
      this.spacing.charge(monotonicMs() - started);
      this.serve(batch, scan);
    });
  }

  // A callback may spawn (a restart): CALLBACKS_PER_TURN at a time, so a `ping` is answered
  // between them. The next scan is not taken before this batch is served.
  private serve(batch: Array<(scan: ProcScan) => void>, scan: ProcScan): void {
    for (const fn of batch.splice(0, CALLBACKS_PER_TURN)) {
      try {
        fn(scan);
      } catch (err) {
        this.onError(err);
      }
    }
    if (batch.length > 0 && !this.closed) {
      setImmediate(() => this.serve(batch, scan));
      return;
    }
    this.timer = null;
    if (this.waiting.length > 0 && !this.closed) this.timer = setTimeout(() => this.run(), this.spacing.waitMs());
  }

  /** Daemon shutdown: pending requests are dropped (their apps are being detached). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.waiting = [];
  }
}

/** After a scan that took T ms, the next one waits 3T: scanning is at most ~25% of the time. */
const SCAN_GAP_PER_COST = 3;
/**
 * ... except the first few: a lone `stop` or `restart` takes two scans (what to signal outside
 * the group, then whether the whole tree is gone), and the second waited 3T for nothing.
 */
const SCAN_BURST_MS = 30;
/** Callbacks served per event-loop turn (each may spawn a process: a few ms). */
const CALLBACKS_PER_TURN = 8;
