import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import { isAtRest } from '../protocol/status-groups.js';
import { toStatus } from './process-machine.js';
import type { PoolHolder } from './pool-holder.js';
import type { ProcessHandle } from './process-handle.js';

/** One instance of a pooled app, as a target names it (see findInstance). */
export interface OneInstance {
  handle: ProcessHandle;
  instance: number;
}

/** What the verbs on one instance need of the supervisor. */
export interface InstanceDeps {
  rows(h: ProcessHandle): ProcessInfo[];
  /** Starts the whole app (its holder is not running). */
  startApp(h: ProcessHandle): Promise<unknown>;
  /** Records the app's new spec before it acts (see beginOperation). */
  begin(h: ProcessHandle, spec: AppSpec): void;
  changed(h: ProcessHandle): void;
  /** Resolves once state and status hold the change (a `tend list` right after sees it). */
  written(): Promise<void>;
}

/**
 * A verb on one instance id, as PM2 acts on one process: the app's holder stops, starts,
 * restarts or resets that worker only, the others keep serving. With no holder running, there is
 * nothing to stop or reset, and a start or restart starts the app's holder with that instance
 * alone (the others stay stopped until started). A delete removes that instance (see
 * removeInstance). The answer is that instance's row.
 */
export async function instanceVerb(
  one: OneInstance,
  verb: 'stop' | 'start' | 'restart' | 'reset' | 'delete',
  deps: InstanceDeps,
): Promise<ProcessInfo[]> {
  const h = one.handle;
  const pool = h.pool as PoolHolder;
  if (verb === 'delete') {
    const gone = instanceRows(deps.rows(h), one.instance);
    try {
      await removeInstance(one, (spec) => deps.begin(h, spec));
    } finally {
      h.finished();
    }
    deps.changed(h);
    await deps.written();
    return gone.map((r) => ({ ...r, status: 'stopped' as const, pid: null, uptimeMs: 0 }));
  }
  // The answer is found by id: a holder started for this instance numbers its instances anew.
  const id = pool.instanceIds[one.instance];
  const live = pool.running && h.pid !== null && h.state !== 'stopping' && !isAtRest(toStatus(h.state));
  if (verb === 'reset') pool.clearCounts(pool.instanceIds[one.instance]);
  if (live) await pool.holder.call(`${verb}-instance`, { instance: one.instance });
  else if (verb === 'start' || verb === 'restart') {
    // No holder runs: it starts with this instance alone, as PM2 starts one process.
    pool.startOnly = id ?? null;
    await deps.startApp(h);
  }
  await deps.written();
  return deps.rows(h).filter((r) => r.id === id);
}

/** The row of one instance among an app's rows. */
export function instanceRows(rows: ProcessInfo[], instance: number): ProcessInfo[] {
  return rows.filter((r) => r.instance === instance);
}

/** `tend start <app>` of a running pooled app starts its stopped or errored instances (PM2 starts every process of the name). */
export async function startIdleInstances(h: ProcessHandle): Promise<void> {
  const pool = h.pool;
  if (pool === null || !pool.running || h.pid === null || h.state !== 'online') return;
  for (const w of pool.status?.workers ?? []) {
    if (isAtRest(w.status)) await pool.holder.call('start-instance', { instance: w.instance });
  }
}

/**
 * `tend delete <instance id>` of an app that has other instances, as PM2 deletes one process:
 * that process goes, the others keep their ids (and their NODE_APP_INSTANCE while the holder
 * runs), and the app's instance count goes down by one in its spec (`begin` records it first,
 * so save, resurrect and the next daemon keep it). Its last instance is deleted with the app.
 */
export async function removeInstance(one: OneInstance, begin: (spec: AppSpec) => void): Promise<void> {
  const h = one.handle;
  const pool = h.pool as PoolHolder;
  const id = pool.instanceIds[one.instance] as number;
  const spec: AppSpec = { ...h.spec, instances: pool.ids().length - 1 };
  begin(spec);
  // A running holder renumbers nothing: it removes that instance and reports the rest.
  if (pool.running && h.pid !== null) await pool.holder.call('remove-instance', { instance: one.instance });
  else pool.forget(id);
  h.spec = spec;
}

/** Whether deleting this instance leaves the app other instances (else the delete is the app's). */
export function hasOtherInstances(one: OneInstance): boolean {
  return (one.handle.pool?.ids().length ?? 0) > 1;
}

/** `tend reset` of a whole app: its counters, and its instances' (kept by its holder; one from before this method answers with an error: logged). */
export async function resetCounters(h: ProcessHandle, log: (event: string, data: Record<string, unknown>) => void): Promise<void> {
  h.resetCounters();
  if (h.pool?.running === true && h.pid !== null) {
    await h.pool.holder
      .call('reset-instance', { instance: null })
      .catch((err: Error) => log('reset-instances-failed', { id: h.id, error: err.message }));
  }
}
