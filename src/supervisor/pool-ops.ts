import { TendError } from '../errors.js';
import { MAX_INSTANCES, type AppSpec } from '../protocol/app-spec.js';
import type { InstanceInfo, ProcessInfo, ReloadReport } from '../protocol/process-info.js';
import { redactText } from '../protocol/secrets.js';
import { isUp } from '../protocol/status-groups.js';
import type { AppView } from './handle-types.js';
import type { ProcessHandle } from './process-handle.js';
import { isPooled, NO_INSTANCE } from './pool-holder.js';
import { numericTarget } from './targets.js';

/** The live figures of one instance (its worker's own process tree). */
export type InstanceFigures = (id: number, pid: number | null) => { cpuPercent: number | null; memoryBytes: number | null };

/**
 * List rows of an app: one per instance for a pooled app (PM2's habit), each with its own id, in
 * every state: an instance that has no process (stopped, errored, not spawned yet) has no pid,
 * and no row ever shows the holder's pid (that is `holderPid`). The first instance gets the
 * app's id when the app is created; every id names its one process (see findInstance).
 */
export function rowsOf(h: AppView, now: number, figures: InstanceFigures): ProcessInfo[] {
  const base = h.info();
  const pool = h.pool;
  if (pool === null) return [base];
  const holderPid = base.pid;
  const workers = holderPid === null ? [] : (pool.status?.workers ?? []);
  // In id order, as PM2 lists processes (a scale-up after a delete fills the lowest free instance number with a new id).
  return pool.instanceIds
    .flatMap((id, k) => {
      if (id === NO_INSTANCE) return [];
      const w = workers.find((x) => x.instance === k);
      const counted = { ...base, restarts: base.restarts + pool.restartsOf(id, w?.restarts) };
      return [w === undefined ? idleRow(counted, id, k, holderPid) : instanceRow(counted, w, id, holderPid, now, figures(id, w.pid))];
    })
    .sort((a, b) => a.id - b.id);
}

/** An instance without a report from a running holder: the app's own state, no process. */
function idleRow(base: ProcessInfo, id: number, instance: number, holderPid: number | null): ProcessInfo {
  const status = base.status === 'online' ? 'launching' : base.status;
  return {
    ...withoutRun(base),
    id,
    pid: null,
    status,
    uptimeMs: 0,
    startedAt: null,
    cpuPercent: null,
    memoryBytes: null,
    instance,
    holderPid,
  };
}

/**
 * The app's row less what only a running process has: the ports and health the holder's tree
 * shows belong to the instances that run, not to one that is stopped, errored or not spawned.
 */
function withoutRun(base: ProcessInfo): ProcessInfo {
  const { ports: _ports, ...rest } = base;
  return base.health === undefined ? rest : { ...rest, health: null };
}

function instanceRow(
  base: ProcessInfo,
  w: InstanceInfo,
  id: number,
  holderPid: number | null,
  now: number,
  seen: ReturnType<InstanceFigures>,
): ProcessInfo {
  // The holder's own state wins while it is not online (launching, stopping).
  const status = isUp(base.status) ? w.status : base.status;
  const running = w.pid !== null && w.startedAt !== null;
  return {
    ...(w.pid === null ? withoutRun(base) : base),
    id,
    pid: w.pid,
    status,
    // The instance's own crash, from its holder (the daemon sees no worker exit); a holder older
    // than these fields leaves the app's.
    ...(w.lastExit === undefined ? {} : { lastExit: w.lastExit }),
    ...(w.reason === undefined ? {} : { reason: w.reason === null ? null : redactText(w.reason) }),
    nextRestartAt: w.nextRestartAt ?? null,
    uptimeMs: running ? Math.max(0, now - (w.startedAt as number)) : 0,
    startedAt: w.startedAt,
    cpuPercent: w.pid === null ? null : seen.cpuPercent,
    memoryBytes: w.pid === null ? null : seen.memoryBytes,
    instance: w.instance,
    holderPid,
  };
}

/** What the sampler needs of an app: its main pid, and a pooled app's workers with their instance ids. */
export interface Sampled {
  id: number;
  name: string;
  pid: number | null;
  instances?: Array<{ id: number; pid: number | null }>;
}

export function sampledOf(h: ProcessHandle): Sampled {
  const pool = h.pool;
  if (pool === null) return { id: h.id, name: h.spec.name, pid: h.pid };
  const workers = h.pid === null ? [] : (pool.status?.workers ?? []);
  const instances = workers.map((w) => ({ id: pool.instanceIds[w.instance] ?? NO_INSTANCE, pid: w.pid })).filter((w) => w.id >= 0);
  return { id: h.id, name: h.spec.name, pid: h.pid, instances };
}

/**
 * The one place that decides what a numeric target names: an id of a pooled app's instance is
 * that one process (PM2's pm_id), whichever instance it is; the app's name (and `all`, a
 * namespace, a config file) is the whole app. Null when the target is not an instance id.
 */
export function findInstance(
  handles: Iterable<ProcessHandle>,
  target: string | number,
): { handle: ProcessHandle; instance: number } | null {
  const id = numericTarget(target);
  if (id === null) return null;
  for (const h of handles) {
    const k = h.pool?.instanceOf(id);
    if (k !== undefined) return { handle: h, instance: k };
  }
  return null;
}

/** A reload that stopped because a new process failed (exit 1); `describe` shows it too. */
export function reloadFailedError(name: string, which: string, reason: string, kept: string, stderr: string[], details: object): TendError {
  return new TendError(
    'E_RELOAD_FAILED',
    `reload of ${name} stopped: ${which} ${reason}; ${kept}` +
      (stderr.length > 0 ? `\n  last stderr lines:\n${stderr.map((l) => `    ${l}`).join('\n')}` : ''),
    { hint: `Fix the app and run \`tend reload ${name}\` again; \`tend describe ${name}\` shows the failed reload.`, details },
  );
}

/** Asks the app's holder for a rolling reload; a failed one becomes E_RELOAD_FAILED (exit 1). */
export async function reloadPool(
  h: ProcessHandle,
  parallel: number,
  spec: AppSpec | undefined,
  lastStderr: (h: ProcessHandle) => Promise<string[]>,
): Promise<ReloadReport> {
  const pool = h.pool;
  if (pool === null || !pool.running)
    throw new TendError('E_NOT_RUNNING', `\`${h.spec.name}\` is not running`, { hint: `Start it: tend start ${h.spec.name}` });
  // The operation's time goes along, so a daemon that finishes it after this one died does not reload twice.
  const asked = h.pending === null ? {} : { askedAt: h.pending.at };
  const report = await pool.holder.call(
    'reload',
    spec === undefined ? { parallel, ...asked } : { spec, parallel, ids: pool.idsFor(spec), ...asked },
  );
  if (report.ok) {
    pool.lastReload = report;
    return report;
  }
  // Stopped (or deleted) while it ran: nothing to fix in the app, and no old process serves.
  if (h.state === 'stopping' || h.state === 'stopped' || !pool.running) {
    pool.lastReload = report;
    throw new TendError('E_NOT_RUNNING', `reload of ${h.spec.name} stopped: the app was stopped or deleted during the reload`, {
      hint: '`tend list` shows what runs now; start the app (or reload it) again if needed.',
    });
  }
  const stderr = await lastStderr(h).catch(() => []);
  const failed: ReloadReport = { ...report, stderr };
  pool.lastReload = failed;
  const id = report.failedInstance === null ? h.id : (pool.instanceIds[report.failedInstance] ?? h.id);
  throw reloadFailedError(
    h.spec.name,
    `the new process of instance ${report.failedInstance ?? '?'} (id ${id})`,
    report.reason ?? 'failed',
    'the old processes keep serving',
    stderr,
    { app: h.spec.name, instance: report.failedInstance, id, reason: report.reason, replaced: report.replaced, stderr },
  );
}

/** The instance count `scale` asks for: absolute, or relative to what runs now. */
export function scaledCount(h: ProcessHandle, instances: number, relative: boolean): number {
  const current = h.pool?.status?.instances ?? h.spec.instances;
  const next = relative ? current + instances : instances;
  if (!Number.isInteger(next) || next < 1 || next > MAX_INSTANCES) {
    throw new TendError('E_INVALID_VALUE', `cannot scale ${h.spec.name} to ${next} instance(s) (it runs ${current})`, {
      hint: `Give a count from 1 to ${MAX_INSTANCES} (\`tend scale api 4\`), or a change (\`tend scale api +2\`, \`tend scale api -1\`); \`tend stop api\` stops it.`,
    });
  }
  return next;
}

/** `tend scale`: every app must be held (refused whole otherwise); running holders scale live. */
export async function scalePool(
  handles: ProcessHandle[],
  instances: number,
  relative: boolean,
  begin: (specs: Map<ProcessHandle, AppSpec>) => void,
): Promise<void> {
  for (const h of handles) {
    if (!isPooled(h.spec)) {
      throw new TendError('E_USAGE', `${h.spec.name} runs as a single process (fork mode): it has no instances to scale`, {
        hint: `Start it in cluster mode: tend delete ${h.spec.name} && tend start <script> --name ${h.spec.name} -i ${instances}; for another language add --listen <port>.`,
      });
    }
  }
  // Every count checked, and the new specs recorded, before any holder is told.
  const specs = new Map(handles.map((h) => [h, { ...h.spec, instances: scaledCount(h, instances, relative) }]));
  begin(specs);
  for (const [h, spec] of specs) {
    // The holder runs one operation at a time: a scale asked for during a reload happens after
    // it, so the count joins the spec only then (a reload that brings a new spec comes first).
    if (h.pool !== null && h.pool.running && h.state !== 'stopping')
      await h.pool.holder.call('scale', { instances: spec.instances, ids: h.pool.idsFor(spec) });
    h.spec = { ...h.spec, instances: spec.instances };
  }
}
