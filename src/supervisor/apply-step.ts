import { isScheduled } from '../config/schedule.js';
import { specsEqual } from '../config/specs-equal.js';
import type { ApplyAction, ApplyMode } from '../protocol/methods.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcessState } from './process-machine.js';
import { handsOffSockets, poolAddresses, isPooled } from './pool-holder.js';

/** What the decision needs of an existing app. */
export interface AppNow {
  state: ProcessState;
  spec: AppSpec;
  /** Its holder (cluster / socket-activated app) is running and linked. */
  holderRunning: boolean;
}

/** What happens to an existing app (a missing one is always created). */
export type ApplyStep = Exclude<ApplyAction, 'created'>;

/**
 * The verb decides, PM2's way, and the spec comparison only matters to `apply`:
 * - an app that does not run is started with the new spec, whatever the verb (a scheduled job
 *   is only updated: it runs at its next time);
 * - `apply` leaves a running app alone when its spec did not change, else restarts it;
 * - `start` and `restart` restart it with the new spec (`pm2 start|restart <file>`);
 * - `reload` replaces a running cluster / socket-activated app's processes one by one with no
 *   downtime (the new spec on the way), hands a fork-mode Node app's sockets to a new process
 *   (handoff-reload.ts), and restarts any other app (PM2 restarts fork apps).
 */
export function applyStep(now: AppNow, spec: AppSpec, mode: ApplyMode): ApplyStep {
  // A scheduled job that is not running takes the new spec and waits for its next time.
  if (isScheduled(spec) && spec.runAtStart !== true && (now.state === 'stopped' || now.state === 'errored'))
    return specsEqual(now.spec, spec) ? 'unchanged' : 'updated';
  if (now.state === 'stopped' || now.state === 'errored') return 'started';
  if (mode === 'apply') return specsEqual(now.spec, spec) ? 'unchanged' : 'restarted';
  if (mode === 'reload' && canRollingReload(now, spec)) return 'reloaded';
  return 'restarted';
}

/**
 * A rolling reload needs the holder running with every instance up, and the same kind of holder
 * for the new spec: a change of mode, of listening addresses, of `sticky` or of user (`uid`/`gid`:
 * the holder and its workers run as the user) needs a new holder (a restart).
 */
function canRollingReload(now: AppNow, spec: AppSpec): boolean {
  if (now.state === 'online' && handsOffSockets(now.spec) && handsOffSockets(spec)) return true;
  return (
    now.state === 'online' &&
    now.holderRunning &&
    isPooled(now.spec) &&
    isPooled(spec) &&
    now.spec.execMode === spec.execMode &&
    (now.spec.sticky ?? false) === (spec.sticky ?? false) &&
    poolAddresses(now.spec).join('\n') === poolAddresses(spec).join('\n') &&
    (now.spec.proxy === undefined) === (spec.proxy === undefined) &&
    now.spec.runAs?.uid === spec.runAs?.uid &&
    now.spec.runAs?.gid === spec.runAs?.gid
  );
}
