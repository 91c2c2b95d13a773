import type { ProcessInfo } from '../protocol/model.js';
import type { Observed, ProcessRecord } from './handle-types.js';
import type { ProcessHandle } from './process-handle.js';
import { toStatus } from './process-machine.js';

/** What state.json keeps of an app: enough for the next daemon to adopt its running process. */
export function recordOf(h: ProcessHandle): ProcessRecord {
  return {
    id: h.id, spec: h.spec, createdAt: h.createdAt, restarts: h.restarts, snapshot: h.snapshot,
    pid: h.pid, startTicks: h.startTicks, startedAt: h.startedAt, lastExit: h.lastExit, token: h.token, limits: h.limits,
    ...(h.held === null ? {} : { instanceIds: h.held.instanceIds, lastReload: h.held.lastReload, holderStatus: h.held.status }),
  };
}

/** An app's row for `list`, `describe` and the status file. */
export function infoOf(h: ProcessHandle, seen: Observed, now: number): ProcessInfo {
  const running = h.pid !== null && h.startedAt !== null;
  return {
    id: h.id,
    name: h.spec.name,
    namespace: h.spec.namespace,
    pid: h.pid,
    status: toStatus(h.snapshot.state),
    restarts: h.restarts,
    uptimeMs: running ? Math.max(0, now - (h.startedAt as number)) : 0,
    createdAt: h.createdAt,
    startedAt: h.startedAt,
    adopted: h.adopted,
    lastExit: h.lastExit,
    reason: h.snapshot.reason,
    nextRestartAt: null,
    cpuPercent: seen.cpuPercent,
    memoryBytes: seen.memoryBytes,
    health: seen.health,
    ...(h.spec.watch === undefined ? {} : { watching: true }),
    ...(h.spec.pty === undefined ? {} : { pty: true }),
    ...(seen.ports == null || !running ? {} : { ports: seen.ports }),
    ...(seen.job == null ? {} : { job: seen.job }),
  };
}
