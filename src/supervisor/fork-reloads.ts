import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcessInfo, ReloadReport } from '../protocol/process-info.js';
import type { ApplyStep } from './apply-step.js';
import { handoffReload, type HandoffDeps } from './handoff-reload.js';
import { handsOffSockets, isPooled } from './pool-holder.js';
import { reloadPool } from './pool-ops.js';
import type { ProcessHandle } from './process-handle.js';

/**
 * The reload of one app, whatever runs it: a pooled app's holder replaces its processes; a
 * fork-mode Node app hands its sockets to a new process (handoff-reload.ts); any other app, or
 * one whose sockets cannot be handed over, is restarted, and the reload's answer says why
 * (`reloadNote`). A fork-mode app's last reload is kept by its handle (recordReload), so it is in
 * state.json like a pooled app's, and survives a daemon restart or `kill -9`.
 */
export class AppReloads {
  private readonly notes = new Map<number, string>();

  private readonly deps: Omit<HandoffDeps, 'record' | 'respec'>;

  constructor(
    spawning: Pick<HandoffDeps, 'makeFifos' | 'ptyHome' | 'logPaths' | 'newToken'>,
    lastStderr: HandoffDeps['lastStderr'],
    private readonly respec: (h: ProcessHandle, spec: AppSpec) => void,
    log: HandoffDeps['log'],
  ) {
    this.deps = { ...spawning, lastStderr, log };
  }

  /** A reload's step for a running app that is not reloaded in place (to `spec`): it is noted as a restart. */
  step(h: ProcessHandle, step: ApplyStep, spec: AppSpec = h.spec): ApplyStep {
    this.notes.delete(h.id);
    if (step !== 'restarted') return step;
    if (isPooled(h.spec) || isPooled(spec))
      this.notes.set(h.id, 'its processes were not all online, or its mode or listen addresses changed');
    else if (handsOffSockets(h.spec) && handsOffSockets(spec)) this.notes.set(h.id, 'it was not online');
    else this.notes.set(h.id, 'not a cluster, --listen or fork-mode Node.js app');
    return step;
  }

  /** Carries out a 'reloaded' step: what was done in the end (a failed reload throws E_RELOAD_FAILED). */
  async reload(h: ProcessHandle, spec: AppSpec, parallel: number): Promise<'reloaded' | 'restarted'> {
    if (h.pool !== null) {
      await reloadPool(h, parallel, spec === h.spec ? undefined : spec, (x) => this.deps.lastStderr(x));
      return 'reloaded';
    }
    const record = (report: ReloadReport): void => h.recordReload(report);
    const outcome = await handoffReload(h, spec, { ...this.deps, respec: (s) => this.respec(h, s), record });
    if ('report' in outcome) return 'reloaded';
    this.notes.set(h.id, outcome.restartedBecause);
    this.deps.log('handoff-skipped', { id: h.id, name: h.spec.name, why: outcome.restartedBecause });
    return 'restarted';
  }

  /**
   * The answer's rows, each restarted app's with why it was not reloaded without downtime. Only
   * these rows' notes are taken: the apps of a file are reloaded side by side.
   */
  annotate(rows: ProcessInfo[]): ProcessInfo[] {
    const out = rows.map((r) => {
      const why = this.notes.get(r.id);
      return why === undefined ? r : { ...r, reloadNote: `restarted instead of reloaded without downtime: ${why}` };
    });
    for (const r of rows) this.notes.delete(r.id);
    return out;
  }
}
