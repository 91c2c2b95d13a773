import { anyThreadLeft, isSameProcessAlive } from '../procfs/procfs.js';

/** Waits until a process is gone (checked every 10 ms, bounded): the daemon exits right after replying. */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isSameProcessAlive(pid, null) || anyThreadLeft(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}
