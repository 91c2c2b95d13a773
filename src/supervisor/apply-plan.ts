import { specChanges } from '../config/spec-changes.js';
import type { ApplyMode, PlanStep } from '../protocol/methods.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { applyStep, type AppNow } from './apply-step.js';

/**
 * What `apply|start|restart|reload <file>` would do, decided by applyStep exactly as the real
 * verb decides, with the settings that changed. With `pruneFile`, the apps last applied from that
 * file that it no longer has are `deleted` (`tend apply --prune`). Nothing is changed.
 */
export function planApply(
  apps: ReadonlyArray<{ name: string; now: AppNow }>,
  specs: readonly AppSpec[],
  mode: ApplyMode,
  pruneFile: string | null,
): PlanStep[] {
  const steps: PlanStep[] = specs.map((spec) => {
    const existing = apps.find((a) => a.name === spec.name);
    if (existing === undefined) return { name: spec.name, action: 'created', changed: [] };
    return { name: spec.name, action: applyStep(existing.now, spec, mode), changed: specChanges(existing.now.spec, spec) };
  });
  if (pruneFile !== null) {
    const kept = new Set(specs.map((s) => s.name));
    for (const a of apps) {
      if (a.now.spec.configFile === pruneFile && !kept.has(a.name)) steps.push({ name: a.name, action: 'deleted', changed: [] });
    }
  }
  return steps;
}
