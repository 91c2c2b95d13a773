import { readFileSync } from 'node:fs';
import { readAllStats, type ProcStat } from '../metrics/procfs.js';

/** Environment variable carrying a per-incarnation token, inherited by every descendant. */
export const TOKEN_VAR = 'TEND_INSTANCE_TOKEN';

/**
 * The processes that belong to an app: every app is spawned as the leader of a new session and
 * process group (spawn `detached`), so its tree is "same session or same group". A descendant that
 * called setsid() itself leaves both; it is still found through the parent links while its
 * ancestors live, so callers take a snapshot before signalling and keep it.
 */
export function findAppProcesses(leaderPid: number, stats: ProcStat[] = readAllStats()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const st of stats) {
    const list = byParent.get(st.ppid);
    if (list === undefined) byParent.set(st.ppid, [st]);
    else list.push(st);
  }
  const found = new Map<number, ProcStat>();
  for (const st of stats) {
    if (st.session === leaderPid || st.pgrp === leaderPid) found.set(st.pid, st);
  }
  // Walk down from every member found so far to catch descendants in other sessions.
  const queue = [leaderPid, ...found.keys()];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    for (const child of byParent.get(pid) ?? []) {
      if (!found.has(child.pid)) {
        found.set(child.pid, child);
        queue.push(child.pid);
      }
    }
  }
  return [...found.values()];
}

/** Sends a signal to a process group; ESRCH (already gone) is not an error. Returns whether it was delivered. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to one process; ESRCH is not an error. */
export function signalPid(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signals the whole app: its group (one syscall reaches every member, even ones we have not
 * seen yet), then each known member outside the group, whose pid + start time still match.
 */
export function signalApp(leaderPid: number, members: ProcStat[], signal: NodeJS.Signals, stats: ProcStat[] = readAllStats()): void {
  signalGroup(leaderPid, signal);
  const live = new Map(stats.map((s) => [s.pid, s]));
  for (const m of members) {
    if (m.pgrp === leaderPid) continue;
    const now = live.get(m.pid);
    if (now !== undefined && now.startTicks === m.startTicks) signalPid(m.pid, signal);
  }
}

/**
 * Members of a snapshot that are still alive (same pid and start time), plus group/session
 * members, plus any process carrying the incarnation's token in its environment. The token
 * finds descendants that both left the session (setsid) and lost their parent links (their
 * parent died and init adopted them): without cgroups, nothing else connects them to the app.
 */
export function survivors(leaderPid: number, members: ProcStat[], token: string | null, sinceTicks: string | null = null, stats: ProcStat[] = readAllStats()): ProcStat[] {
  // Only processes born after the leader can carry its token: skip reading the others' environ.
  const since = sinceTicks === null ? 0 : Number(sinceTicks);
  const live = new Map(stats.map((s) => [s.pid, s]));
  const out = new Map<number, ProcStat>();
  for (const m of members) {
    const now = live.get(m.pid);
    if (now !== undefined && now.startTicks === m.startTicks) out.set(m.pid, now);
  }
  const needle = token === null ? null : Buffer.from(`\0${TOKEN_VAR}=${token}\0`);
  for (const st of stats) {
    if (st.session === leaderPid || st.pgrp === leaderPid) out.set(st.pid, st);
    else if (needle !== null && st.pid !== process.pid && !out.has(st.pid) && Number(st.startTicks) >= since && hasToken(st.pid, needle)) out.set(st.pid, st);
  }
  return [...out.values()];
}

function hasToken(pid: number, needle: Buffer): boolean {
  try {
    // Prefix with NUL so the first variable matches the same way as the others.
    return Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]).includes(needle);
  } catch {
    return false;
  }
}

/** True while any process is in the group (one kill(-pgid, 0) syscall, no /proc scan). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Ends what an exited incarnation left outside its process group (setsid'd descendants, found
 * by session or token): the stop signal now, SIGKILL after the grace period. Runs after a crash
 * restart, off the restart's critical path.
 */
export function sweepLeftovers(leaderPid: number, token: string | null, sinceTicks: string | null, signal: NodeJS.Signals, graceMs: number): number {
  const left = survivors(leaderPid, [], token, sinceTicks);
  if (left.length === 0) return 0;
  signalApp(leaderPid, left, signal);
  setTimeout(() => {
    const still = survivors(leaderPid, left, token, sinceTicks);
    if (still.length > 0) signalApp(leaderPid, still, 'SIGKILL');
  }, graceMs).unref();
  return left.length;
}
