import type { Health } from '../lib/health.js';
import { isSameProcessAlive, readAllStats } from '../procfs/procfs.js';
import { readIntents, readLegacyIntents } from '../store/intent-log.js';
import type { TendPaths } from '../store/paths.js';
import { readState } from '../store/state-file.js';
import type { PendingOp, ProcessRecord } from './handle-types.js';
import { sweepLeftovers } from './kill-tree.js';
import { ProcScan } from './proc-scan.js';
import type { ProcessHandle } from './process-handle.js';
import { holderRunsAs } from './pool-holder.js';
import { checkRecord, planRestore } from './restore-plan.js';
import { findHomeRuns, type FoundRun } from './run-finder.js';

export interface RestoreContext {
  paths: TendPaths;
  health: Health;
  now(): number;
  log(event: string, data: Record<string, unknown>): void;
  /** Builds the handle of a restored app (not started). */
  create(record: ProcessRecord): ProcessHandle;
  /** Called before any handle is built: ids handed out meanwhile (cluster instances) start there. */
  setNextId(id: number): void;
  /**
   * Reloads a running app without downtime, as `tend reload` does (its holder, or a socket
   * handoff for a fork-mode Node app): 'restarted' when it cannot be (nothing was done then).
   */
  reload(handle: ProcessHandle): Promise<'reloaded' | 'restarted'>;
}

/**
 * Loads the state a previous daemon left (or its backup), replays the intent journal, finds
 * this home's processes by run token, and then adopts each app's one live run, restarts by
 * policy what died, and stops every other process of the home (DESIGN.md §9).
 */
export function restoreApps(ctx: RestoreContext): { adopted: number; restarted: number; stopped: number } {
  const now = ctx.now();
  const loaded = readState(ctx.paths, checkRecord, new Date(now));
  if (loaded.notices.length > 0) {
    ctx.log('state-recovered', { source: loaded.source, notices: loaded.notices });
    ctx.health.set('restore', `state recovered: ${loaded.notices.join('; ')}`);
  }
  const intents = [...readLegacyIntents(ctx.paths.legacyIntentFile), ...readIntents(ctx.paths.intentFile)];
  const stats = readAllStats();
  const plan = planRestore(loaded, intents, findHomeRuns(ctx.paths.homeTag, stats), isSameProcessAlive, now);
  // The same /proc pass tells whether an app that died while no daemon ran left anything behind,
  // so it is restarted now rather than after a later scan (see TreeDrain.leaderExited).
  const scan = new ProcScan(
    stats,
    new Set(plan.apps.flatMap(({ record, mode }) => (mode === 'adopt' && record.pid !== null ? [record.pid] : []))),
  );
  for (const notice of plan.notices) ctx.log('restore-notice', { notice });
  ctx.setNextId(plan.nextId);
  let adopted = 0;
  let restarted = 0;
  for (const { record, mode } of plan.apps) {
    const handle = ctx.create(record);
    if (mode === 'adopt') {
      handle.adopt(record);
      adopted += 1;
    } else if (mode === 'start') {
      handle.restoreDead({ ...record, snapshot: { ...record.snapshot, state: 'stopped' } });
      handle.dispatch({ type: 'start' });
      restarted += 1;
    } else {
      handle.restoreDead(record, scan);
      if (handle.state === 'starting' || handle.state === 'backoff') restarted += 1;
    }
    if (record.pending != null) finishOperation(handle, record.pending, mode, ctx);
  }
  for (const run of plan.stray) stopStray(run);
  return { adopted, restarted, stopped: plan.stray.length };
}

/**
 * Carries out the rest of an operation the previous daemon had recorded for this app but not
 * done yet (DESIGN.md §9: finish, never half-undo): the app ends running, with a run made by
 * the operation (restarted, reloaded, scaled), whatever instant the previous daemon died at.
 */
function finishOperation(handle: ProcessHandle, op: PendingOp, mode: 'adopt' | 'dead' | 'start', ctx: RestoreContext): void {
  const log = ctx.log;
  log('operation-finished', { id: handle.id, name: handle.spec.name, verb: op.verb, askedAt: op.at });
  // A new run is on its way already: its spawn ends the operation.
  if (mode === 'start') return;
  handle.pending = op;
  const state = handle.state;
  if (state === 'stopped' || state === 'errored') {
    handle.dispatch({ type: 'start' });
    return;
  }
  const pool = handle.pool;
  if (op.verb === 'start' || (op.verb === 'scale' && (pool === null || !pool.running))) {
    handle.pending = null;
    return;
  }
  const failed = (err: Error): void => log('operation-finish-failed', { id: handle.id, verb: op.verb, error: err.message });
  // A holder runs as the app's user: one of another user (the new spec changed it) is replaced.
  const holderFits = pool !== null && pool.running && holderRunsAs(handle.pid, handle.spec);
  if (mode === 'adopt' && op.verb === 'scale' && holderFits) {
    // The holder adds or stops its workers itself, without downtime.
    pool.holder
      .call('scale', { instances: handle.spec.instances, ids: pool.idsFor(handle.spec) })
      .then(() => undefined, failed)
      .finally(() => handle.finished());
    return;
  }
  // A reload goes on as a reload: by the app's holder (which knows it by its time, so it runs
  // once), or by a socket handoff for a fork-mode Node app; a restart only where `tend reload`
  // itself would restart.
  if (mode === 'adopt' && (op.verb === 'reload' || op.verb === 'watch') && (pool === null || holderFits)) {
    ctx.reload(handle).then(
      // A restart's spawn ends the operation (a daemon killed before it finishes it again).
      (step) => (step === 'restarted' ? handle.dispatch({ type: 'restart' }) : handle.finished()),
      (err: Error) => {
        failed(err);
        handle.finished();
      },
    );
    return;
  }
  handle.dispatch({ type: 'restart' });
}

/** A run no app will manage: its processes get SIGTERM, then SIGKILL after 5 s. */
function stopStray(run: FoundRun): void {
  const oldest = [...run.members].sort((a, b) => Number(a.startTicks) - Number(b.startTicks))[0];
  if (oldest === undefined) return;
  sweepLeftovers(oldest.pid, run.token, oldest.startTicks, 'SIGTERM', 5000);
}
