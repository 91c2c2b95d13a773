import { readFileSync } from 'node:fs';
import { readStat } from '../procfs/procfs.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import { STATUS_VERSION, type StatusFile } from '../protocol/status.js';
import { IN_FLIGHT } from '../protocol/status-groups.js';
import type { TendPaths } from '../store/paths.js';

/**
 * The process list as the running daemon last published it (TEND_HOME/status.json), the way
 * s6-svstat reads a status file instead of talking to the supervisor: no socket, no round
 * trip, and it answers even while the daemon is busy. Returns null unless the daemon that wrote
 * it is alive (pid and start time from daemon.pid), so a stale file is never shown, and while
 * any app is launching or stopping: callers then ask over the socket, which also starts a daemon
 * and re-adopts the apps.
 */
export interface StatusSnapshot {
  apps: ProcessInfo[];
  problems: string[];
  daemonPid: number;
  /** When the daemon wrote it (ms since the epoch). */
  writtenAt: number;
  /**
   * Rows that show a process which is no longer alive: the daemon has not published since it
   * died (it is busy, out of file descriptors, or hung). The snapshot is stale then.
   */
  gone: ProcessInfo[];
}

/** The live daemon daemon.pid names (its pid and start time agree with /proc), or null. */
export function daemonFromPidFile(paths: TendPaths): number | null {
  let pidLine: string;
  try {
    pidLine = readFileSync(paths.pidFile, 'utf8');
  } catch {
    return null;
  }
  const [pidText, ticks] = pidLine.trim().split(/\s+/);
  const pid = Number(pidText);
  const st = Number.isInteger(pid) && pid > 0 ? readStat(pid) : undefined;
  return st === undefined || st.state === 'Z' || st.startTicks !== ticks ? null : pid;
}

export function readStatusSnapshot(paths: TendPaths, now = Date.now()): StatusSnapshot | null {
  let status: StatusFile;
  const pid = daemonFromPidFile(paths);
  if (pid === null) return null;
  try {
    status = JSON.parse(readFileSync(paths.statusFile, 'utf8')) as StatusFile;
  } catch {
    return null;
  }
  if (
    typeof status !== 'object' ||
    status === null ||
    status.version !== STATUS_VERSION ||
    status.daemonPid !== pid ||
    !Array.isArray(status.apps)
  )
    return null;
  // A hand-edited or damaged file is not trusted: ask the daemon instead (never a stack trace).
  if (!status.apps.every(isProcessInfo)) return null;
  // The file is written at most every 50 ms or so (more with many apps): while an app is being
  // launched or stopped, it may already be past that, so the daemon's memory is asked instead.
  if (status.apps.some((p) => IN_FLIGHT.has(p.status))) return null;
  const problems = Array.isArray(status.problems) ? status.problems.filter((p): p is string => typeof p === 'string') : [];
  // Uptime is "now minus start", not what it was when the file was written.
  const apps = status.apps.map((p) => (p.startedAt !== null && p.pid !== null ? { ...p, uptimeMs: Math.max(0, now - p.startedAt) } : p));
  const gone = apps.filter((p) => p.pid !== null && !isLive(p.pid));
  return { apps, problems, daemonPid: pid, writtenAt: typeof status.writtenAt === 'number' ? status.writtenAt : 0, gone };
}

function isLive(pid: number): boolean {
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

/** The fields the table and --json consumers rely on, with their types. */
function isProcessInfo(v: unknown): v is ProcessInfo {
  const p = v as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
  const numOrNull = (x: unknown): boolean => x === null || typeof x === 'number';
  return (
    Number.isInteger(p.id) &&
    typeof p.name === 'string' &&
    typeof p.namespace === 'string' &&
    typeof p.status === 'string' &&
    numOrNull(p.pid) &&
    typeof p.restarts === 'number' &&
    typeof p.uptimeMs === 'number' &&
    numOrNull(p.startedAt) &&
    typeof p.createdAt === 'number' &&
    typeof p.adopted === 'boolean' &&
    (p.reason === null || typeof p.reason === 'string') &&
    (p.lastExit === null || (typeof p.lastExit === 'object' && !Array.isArray(p.lastExit))) &&
    numOrNull(p.cpuPercent) &&
    numOrNull(p.memoryBytes)
  );
}
