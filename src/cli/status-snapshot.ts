import { readFileSync } from 'node:fs';
import { readStat } from '../metrics/procfs.js';
import type { ProcessInfo } from '../protocol/model.js';
import { STATUS_VERSION, type StatusFile } from '../protocol/status.js';
import type { TendPaths } from '../store/paths.js';

/**
 * The process list as the running daemon last published it (TEND_HOME/status.json), the way
 * s6-svstat reads a status file instead of talking to the supervisor: no socket, no round
 * trip, and it answers even while the daemon is busy. Returns null unless the daemon that wrote
 * it is alive (pid and start time from daemon.pid), so a stale file is never shown: callers then
 * ask over the socket, which also starts a daemon and re-adopts the apps.
 */
export function readStatusSnapshot(paths: TendPaths, now = Date.now()): ProcessInfo[] | null {
  let status: StatusFile;
  let pidLine: string;
  try {
    pidLine = readFileSync(paths.pidFile, 'utf8');
    status = JSON.parse(readFileSync(paths.statusFile, 'utf8')) as StatusFile;
  } catch {
    return null;
  }
  const [pidText, ticks] = pidLine.trim().split(/\s+/);
  const pid = Number(pidText);
  if (status.version !== STATUS_VERSION || status.daemonPid !== pid || !Array.isArray(status.apps)) return null;
  const st = readStat(pid);
  if (st === undefined || st.state === 'Z' || st.startTicks !== ticks) return null;
  // Uptime is "now minus start", not what it was when the file was written.
  return status.apps.map((p) => (p.startedAt !== null && p.pid !== null ? { ...p, uptimeMs: Math.max(0, now - p.startedAt) } : p));
}
