import type { ProcStat } from '../procfs/procfs.js';

/**
 * Splits one /proc scan into the apps' process trees, in one pass plus a walk down the parent
 * links. An app leads its own session and process group (it is spawned detached), so a process
 * belongs to it when its session or group is the app's pid; a descendant that called setsid()
 * itself is found through its parent links. A leader inside another leader's session (a cluster
 * worker under its holder) owns its own subtree: each process goes to its nearest leader
 * ancestor. The main pid comes first in each list.
 */
export function assignTrees(stats: readonly ProcStat[], leaders: readonly number[]): Map<number, ProcStat[]> {
  const out = new Map<number, ProcStat[]>();
  const leaderSet = new Set(leaders);
  const owner = new Map<number, number>();
  const byParent = new Map<number, ProcStat[]>();
  const byPid = new Map<number, ProcStat>();
  for (const leader of leaders) out.set(leader, []);
  for (const st of stats) {
    byPid.set(st.pid, st);
    const siblings = byParent.get(st.ppid);
    if (siblings === undefined) byParent.set(st.ppid, [st]);
    else siblings.push(st);
  }
  for (const st of stats) {
    const base = leaderSet.has(st.pid) ? st.pid : leaderSet.has(st.session) ? st.session : leaderSet.has(st.pgrp) ? st.pgrp : null;
    if (base === null) continue;
    const leader = base === st.pid ? base : nearestLeader(st, base, leaderSet, byPid);
    owner.set(st.pid, leader);
    const list = out.get(leader) as ProcStat[];
    if (st.pid === leader) list.unshift(st);
    else list.push(st);
  }
  // Descendants outside the session (setsid'd): inherit the owner of their parent.
  const queue = [...owner.keys()];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    const leader = owner.get(pid) as number;
    for (const child of byParent.get(pid) ?? []) {
      if (owner.has(child.pid)) continue;
      owner.set(child.pid, leader);
      (out.get(leader) as ProcStat[]).push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** The first leader up the parent links from `st` (stopping at `base`, the session's leader). */
function nearestLeader(st: ProcStat, base: number, leaders: ReadonlySet<number>, byPid: ReadonlyMap<number, ProcStat>): number {
  let at = byPid.get(st.ppid);
  // Bounded by the tree's depth; a cycle cannot occur in one scan's parent links, but be safe.
  for (let steps = 0; at !== undefined && steps < 64; steps++) {
    if (at.pid === base || leaders.has(at.pid)) return at.pid;
    at = byPid.get(at.ppid);
  }
  return base;
}
