import { TendError } from '../errors.js';
import type { AppSpec } from '../protocol/app-spec.js';

/**
 * Checks the `depends_on` of a file's apps: every name must be an app of the file (`fileNames`,
 * which includes apps `--only` left out) and there must be no cycle. Throws E_CONFIG_INVALID with
 * one line naming the apps.
 */
export function checkDependencies(apps: readonly AppSpec[], fileNames: ReadonlySet<string>, shown: string): void {
  for (const app of apps) {
    for (const d of app.dependsOn ?? []) {
      if (d.app === app.name) throw graphError(`${shown}: app \`${app.name}\` depends on itself`, [app.name]);
      if (!fileNames.has(d.app)) {
        throw graphError(
          `${shown}: app \`${app.name}\` depends on \`${d.app}\`, which is not an app of this file (its apps: ${[...fileNames].join(', ')})`,
          [app.name, d.app],
        );
      }
    }
  }
  const cycle = findCycle(apps);
  if (cycle !== null) throw graphError(`${shown}: depends_on makes a cycle: ${cycle.join(' → ')}`, cycle);
}

function graphError(message: string, apps: string[]): TendError {
  return new TendError('E_CONFIG_INVALID', message, {
    hint: 'Fix `depends_on` so that every app named is in the file and nothing waits for itself.',
    details: { apps },
  });
}

function findCycle(apps: readonly AppSpec[]): string[] | null {
  const deps = new Map(apps.map((a) => [a.name, (a.dependsOn ?? []).map((d) => d.app)]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === 'done') return null;
    if (s === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const next of deps.get(name) ?? []) {
      const found = visit(next);
      if (found !== null) return found;
    }
    path.pop();
    state.set(name, 'done');
    return null;
  };
  for (const a of apps) {
    const found = visit(a.name);
    if (found !== null) return found;
  }
  return null;
}

/** The apps with each dependency before its dependents (file order otherwise); stop/delete use the reverse. */
export function startOrder<T extends { name: string; dependsOn?: readonly { app: string }[] | undefined }>(apps: readonly T[]): T[] {
  const byName = new Map(apps.map((a) => [a.name, a]));
  const done = new Set<string>();
  const out: T[] = [];
  const place = (a: T, seen: Set<string>): void => {
    if (done.has(a.name) || seen.has(a.name)) return;
    seen.add(a.name);
    for (const d of a.dependsOn ?? []) {
      const dep = byName.get(d.app);
      if (dep !== undefined) place(dep, seen);
    }
    done.add(a.name);
    out.push(a);
  };
  for (const a of apps) place(a, new Set());
  return out;
}
