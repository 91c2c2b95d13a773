import type { AppSpec, Dependency } from '../protocol/app-spec.js';
import { TASK_COMPLETED, type ProcessInfo } from '../protocol/process-info.js';
import type { ProcessState } from './process-machine.js';

export interface DependencyView {
  state: ProcessState;
  info(): ProcessInfo;
}

/** Whether one dependency has come far enough: started = its process runs, ready = online, healthy = online and its check passing. */
function met(d: Dependency, v: DependencyView): boolean {
  if (d.condition === 'completed') return v.state === 'stopped' && v.info().reason === TASK_COMPLETED;
  if (d.condition === 'started') return v.state === 'waiting-ready' || v.state === 'online';
  if (v.state !== 'online') return false;
  if (d.condition === 'ready') return true;
  // `healthy`: the health status when the daemon reports one (an app without a check counts as healthy once online).
  const health = (v.info() as ProcessInfo & { health?: unknown }).health;
  return typeof health !== 'string' || health === 'healthy';
}

/**
 * null when every dependency of `spec` is met; otherwise the reason an app waits, for humans
 * (`waiting for db (ready): db is errored: …`). Pure: `find` looks an app up by name.
 */
export function unmetDependency(spec: AppSpec, find: (name: string) => DependencyView | undefined): string | null {
  for (const d of spec.dependsOn ?? []) {
    const v = find(d.app);
    if (v === undefined) return `waiting for ${d.app} (${d.condition}): it is not started yet`;
    if (met(d, v)) continue;
    const info = v.info();
    const why =
      info.status === 'errored'
        ? `: ${d.app} is errored${info.reason !== null ? ` (${info.reason})` : ''}`
        : info.status === 'stopped'
          ? `: ${d.app} is stopped`
          : info.status === 'waiting'
            ? `: ${d.app} is waiting itself`
            : '';
    return `waiting for ${d.app} (${d.condition})${why}`;
  }
  return null;
}

/**
 * Why the app will never start as things are: a dependency it needs `completed` failed (errored).
 * null otherwise (it may still come).
 */
export function failedDependency(spec: AppSpec, find: (name: string) => DependencyView | undefined): string | null {
  for (const d of spec.dependsOn ?? []) {
    if (d.condition !== 'completed') continue;
    const v = find(d.app);
    if (v?.state === 'errored') return `not started: ${d.app} did not complete (${v.info().reason ?? 'errored'})`;
  }
  return null;
}
