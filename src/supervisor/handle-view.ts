import type { ProcessInfo } from '../protocol/process-info.js';
import { redactText } from '../protocol/secrets.js';
import type { AppView, Observed, ProcessRecord } from './handle-types.js';
import { toStatus } from './process-machine.js';

/** What state.json keeps of an app: enough for the next daemon to adopt its running process. */
export function recordOf(h: AppView): ProcessRecord {
  return {
    id: h.id,
    spec: h.spec,
    createdAt: h.createdAt,
    restarts: h.restarts,
    snapshot: h.snapshot,
    pid: h.pid,
    startTicks: h.startTicks,
    startedAt: h.startedAt,
    lastExit: h.lastExit,
    token: h.token,
    limits: h.limits,
    ...(h.pending === null ? {} : { pending: h.pending }),
    ...(h.pool === null
      ? h.lastReload === null
        ? {}
        : { lastReload: h.lastReload }
      : {
          instanceIds: h.pool.instanceIds,
          lastReload: h.pool.lastReload,
          holderStatus: h.pool.status,
          carriedRestarts: h.pool.carriedRestarts,
          heldRestarts: h.pool.heldRestarts,
        }),
  };
}

/** An app's row for `list`, `describe` and the status file. */
export function infoOf(h: AppView, seen: Observed, now: number): ProcessInfo {
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
    // Views and hooks' payloads carry it: a spawn error can quote a command line with a URL password.
    reason: h.snapshot.reason === null ? null : redactText(h.snapshot.reason),
    nextRestartAt: h.nextRestartAt,
    cpuPercent: seen.cpuPercent,
    memoryBytes: seen.memoryBytes,
    health: seen.health,
    ...(h.spec.watch === undefined ? {} : { watching: true }),
    ...(h.spec.pty === undefined ? {} : { pty: true }),
    ...(seen.ports == null || !running ? {} : { ports: seen.ports }),
    ...(seen.job == null ? {} : { job: seen.job }),
  };
}
