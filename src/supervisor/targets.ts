import { TendError } from '../errors.js';
import type { Target } from '../protocol/methods.js';

interface Named {
  id: number;
  spec: { name: string; namespace: string };
  /** A cluster / socket-activated app: its instances' ids (each names one process, see findInstance). */
  pool?: { readonly instanceIds: readonly number[] } | null;
}

/** The ids a numeric target can name of an app: its own, or its instances' (the app's own id only while an instance has it). */
const ownsId = (a: Named, id: number): boolean => (a.pool == null ? a.id === id : a.pool.instanceIds.includes(id));

/** The id a numeric target names (`3`, ` 3 `), null for a name, a namespace or `all`. */
export function numericTarget(target: Target): number | null {
  const text = String(target).trim();
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** The app named `name`, if any (a walk, no array: a 300-app file asks once per app). */
export function findByName<T extends Named>(apps: Iterable<T>, name: string): T | undefined {
  for (const a of apps) if (a.spec.name === name) return a;
  return undefined;
}

/** Resolves a target (name, numeric id, namespace, or `all`) to apps, in id order. */
export function resolveTarget<T extends Named>(apps: Iterable<T>, target: Target): T[] {
  const byId = (a: T, b: T): number => a.id - b.id;
  const list = [...apps];
  if (target === 'all') return list.sort(byId);
  const asString = String(target).trim();
  const id = numericTarget(target);
  // One pass without sorting everything: `start` of 1,000 apps resolves each name once.
  if (id !== null) {
    const hit = list.filter((a) => ownsId(a, id));
    if (hit.length > 0) return hit;
  } else {
    const byName = list.filter((a) => a.spec.name === asString);
    if (byName.length > 0) return byName.sort(byId);
    const byNamespace = list.filter((a) => a.spec.namespace === asString);
    if (byNamespace.length > 0) return byNamespace.sort(byId);
  }
  list.sort(byId);
  const idsOf = (a: Named): string => (a.pool == null ? String(a.id) : a.pool.instanceIds.filter((n) => n >= 0).join(', '));
  const known = list.map((a) => `${a.spec.name} (${idsOf(a)})`).join(', ');
  throw new TendError('E_APP_NOT_FOUND', `no app matches \`${asString}\``, {
    hint:
      known.length > 0
        ? `Known apps: ${known}. Run \`tend list\` to see them.`
        : 'No apps are managed yet: start one with `tend start <script>`.',
    details: { target },
  });
}
