import { readStat, type ProcStat } from '../procfs/procfs.js';
import { ProcScan, TOKEN_VAR } from './proc-scan.js';

export { TOKEN_VAR };

/**
 * The processes that belong to an app: every app is spawned as the leader of a new session and
 * process group (spawn `detached`), so its tree is "same session or same group". A descendant that
 * called setsid() itself leaves both; it is still found through the parent links while its
 * ancestors live, so callers take a snapshot before signalling and keep it.
 */
export function findAppProcesses(leaderPid: number, scan: ProcScan = ProcScan.read()): ProcStat[] {
  const found = new Map<number, ProcStat>();
  for (const st of scan.groupOrSession(leaderPid)) found.set(st.pid, st);
  // Walk down from every member found so far to catch descendants in other sessions.
  const queue = [leaderPid, ...found.keys()];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    for (const child of scan.children(pid)) {
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
 * The stop sequence for one process we wait on (DESIGN.md §6): `signal` now, SIGKILL if it has
 * not exited `timeoutMs` later; resolves once `exited` does, `forced` when SIGKILL was needed.
 * For a process that shares its parent's group (a holder's workers): `send` signals it alone.
 */
export async function stopProcess(
  send: (signal: NodeJS.Signals) => void,
  exited: Promise<unknown>,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<{ forced: boolean }> {
  let forced = false;
  send(signal);
  const timer = setTimeout(() => {
    forced = true;
    send('SIGKILL');
  }, timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
  return { forced };
}

/**
 * Signals the whole app: its group (one syscall reaches every member, even ones we have not
 * seen yet), then each known member outside the group, whose pid + start time still match.
 */
export function signalApp(leaderPid: number, members: ProcStat[], signal: NodeJS.Signals, scan: ProcScan = ProcScan.read()): void {
  signalGroup(leaderPid, signal);
  signalOutsideGroup(leaderPid, members, signal, scan);
}

/**
 * Signals the known members that left the app's group, each only while its pid + start time
 * still match: checked against /proc now, not against the scan, so a pid reused since the scan
 * is never signalled.
 */
export function signalOutsideGroup(leaderPid: number, members: ProcStat[], signal: NodeJS.Signals, scan: ProcScan): void {
  for (const m of members) {
    if (m.pgrp === leaderPid || scan.alive(m) === undefined) continue;
    if (readStat(m.pid)?.startTicks === m.startTicks) signalPid(m.pid, signal);
  }
}

/**
 * Members of a snapshot that are still alive (same pid and start time), plus group/session
 * members, plus any process carrying the incarnation's token in its environment. The token
 * finds descendants that both left the session (setsid) and lost their parent links (their
 * parent died and init adopted them): without cgroups, nothing else connects them to the app.
 * Only processes born after the leader can carry its token (`sinceTicks`).
 */
export function survivors(
  leaderPid: number,
  members: ProcStat[],
  token: string | null,
  sinceTicks: string | null = null,
  scan: ProcScan = ProcScan.read(),
): ProcStat[] {
  const out = new Map<number, ProcStat>();
  for (const m of members) {
    const now = scan.alive(m);
    if (now !== undefined) out.set(m.pid, now);
  }
  for (const st of scan.groupOrSession(leaderPid)) out.set(st.pid, st);
  if (token !== null) {
    for (const st of scan.withToken(token, sinceTicks === null ? 0 : Number(sinceTicks))) out.set(st.pid, st);
  }
  return [...out.values()];
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
 * restart, off the restart's critical path; `withScan` provides the /proc scans (by default a
 * scan of its own); `found` hears how many processes were signalled, when there were any.
 */
export function sweepLeftovers(
  leaderPid: number,
  token: string | null,
  sinceTicks: string | null,
  signal: NodeJS.Signals,
  graceMs: number,
  withScan: (fn: (scan: ProcScan) => void) => void = (fn) => fn(ProcScan.read()),
  found: (processes: number) => void = () => undefined,
): void {
  withScan((first) => {
    const left = survivors(leaderPid, [], token, sinceTicks, first);
    if (left.length === 0) return;
    found(left.length);
    signalApp(leaderPid, left, signal, first);
    setTimeout(
      () =>
        withScan((later) => {
          const still = survivors(leaderPid, left, token, sinceTicks, later);
          if (still.length > 0) signalApp(leaderPid, still, 'SIGKILL', later);
        }),
      graceMs,
    ).unref();
  });
}
