import type { Health } from '../lib/health.js';
import { isSameProcessAlive } from '../procfs/procfs.js';
import { readIntents } from '../store/intent-log.js';
import type { TendPaths } from '../store/paths.js';
import { readState } from '../store/state-file.js';
import type { ProcessRecord } from './handle-types.js';
import { sweepLeftovers } from './kill-tree.js';
import type { ProcessHandle } from './process-handle.js';
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
  const plan = planRestore(loaded, readIntents(ctx.paths.intentFile), findHomeRuns(ctx.paths.homeTag), isSameProcessAlive, now);
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
      handle.restoreDead(record);
      if (handle.state === 'starting' || handle.state === 'backoff') restarted += 1;
    }
  }
  for (const run of plan.stray) stopStray(run);
  return { adopted, restarted, stopped: plan.stray.length };
}

/** A run no app will manage: its processes get SIGTERM, then SIGKILL after 5 s. */
function stopStray(run: FoundRun): void {
  const oldest = [...run.members].sort((a, b) => Number(a.startTicks) - Number(b.startTicks))[0];
  if (oldest === undefined) return;
  sweepLeftovers(oldest.pid, run.token, oldest.startTicks, 'SIGTERM', 5000);
}
