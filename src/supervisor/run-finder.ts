import { readAllStats, type ProcStat } from '../procfs/procfs.js';
import { bootTimeSeconds, readEnvVar } from '../procfs/system.js';
import { TOKEN_VAR } from './kill-tree.js';

/** Every live process of one run (one token): the app's leader and whatever it started. */
export interface FoundRun {
  token: string;
  /** The app id encoded in the token. */
  id: number;
  members: ProcStat[];
}

/**
 * A run token: `<home tag>.<app id>.<time>.<random>`. The home tag lets a new daemon tell its
 * home's processes from other homes' in /proc; the app id says which app a run belongs to.
 */
export function makeToken(homeTag: string, id: number, now: number): string {
  return `${homeTag}.${id}.${now.toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
}

/** When a token was made (the daemon's clock at the spawn), or null for a token not made by makeToken. */
export function tokenTime(token: string): number | null {
  const t = parseInt(token.split('.')[2] ?? '', 36);
  return Number.isSafeInteger(t) ? t : null;
}

/**
 * Finds every live process of this home by the token in its environment (one /proc scan at
 * daemon start): runs that state.json does not know (a daemon killed between a spawn and its
 * state write), runs of apps whose state was lost, and leftovers. Processes of other users are
 * not readable and are skipped, as are zombies.
 */
export function findHomeRuns(homeTag: string, stats: ProcStat[] = readAllStats()): Map<string, FoundRun> {
  const prefix = `${homeTag}.`;
  const runs = new Map<string, FoundRun>();
  for (const st of stats) {
    if (st.pid === process.pid || st.state === 'Z' || st.state === 'X') continue;
    const token = readEnvVar(st.pid, TOKEN_VAR);
    if (token === null || !token.startsWith(prefix)) continue;
    const id = Number(token.split('.')[1]);
    if (!Number.isInteger(id) || id < 0) continue;
    const run = runs.get(token);
    if (run === undefined) runs.set(token, { token, id, members: [st] });
    else run.members.push(st);
  }
  return runs;
}

/**
 * The run's leader: the member with the given pid and start time when the journal recorded it,
 * else the oldest member that leads its own session (an app is spawned as a session leader and
 * starts before anything it starts). Null when the leader is gone and only descendants remain.
 */
export function runLeader(run: FoundRun, known: { pid: number; startTicks: string | null } | null): ProcStat | null {
  if (known !== null)
    return run.members.find((m) => m.pid === known.pid && (known.startTicks === null || m.startTicks === known.startTicks)) ?? null;
  const oldest = [...run.members].sort((a, b) => Number(a.startTicks) - Number(b.startTicks))[0];
  if (oldest === undefined || oldest.pid !== oldest.session) return null;
  // A member whose parent is also in the run is a descendant, not the leader.
  return run.members.some((m) => m.pid === oldest.ppid) ? null : oldest;
}

/**
 * When a process started, in ms since the epoch, from its start time in clock ticks since boot
 * (/proc/PID/stat field 22) and the boot time (/proc/stat `btime`). Linux's USER_HZ is 100 on
 * every architecture tend runs on. Null when /proc/stat cannot be read.
 */
export function startedAtMs(startTicks: string): number | null {
  const btime = bootTimeSeconds();
  return btime === null ? null : btime * 1000 + Number(startTicks) * 10;
}
