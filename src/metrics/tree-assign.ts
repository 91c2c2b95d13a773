import type { ProcStat } from '../procfs/procfs.js';

/**
 * Splits one /proc scan into the apps' process trees, in one pass plus a walk down the parent
 * links. An app leads its own session and process group (it is spawned detached), so a process
 * belongs to it when its session or group is the app's pid; a descendant that called setsid()
 * itself is found through its parent links. The main pid comes first in each list.
 */
export function assignTrees(stats: readonly ProcStat[], leaders: readonly number[]): Map<number, ProcStat[]> {
  const out = new Map<number, ProcStat[]>();
  const leaderSet = new Set(leaders);
  const owner = new Map<number, number>();
  const byParent = new Map<number, ProcStat[]>();
  for (const leader of leaders) out.set(leader, []);
  for (const st of stats) {
    const siblings = byParent.get(st.ppid);
    if (siblings === undefined) byParent.set(st.ppid, [st]);
    else siblings.push(st);
    const leader = leaderSet.has(st.session) ? st.session : leaderSet.has(st.pgrp) ? st.pgrp : leaderSet.has(st.pid) ? st.pid : null;
    if (leader === null) continue;
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
