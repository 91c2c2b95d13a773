import { optionalTarget } from '../rpc/params.js';
import type { Handlers } from '../rpc/server.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Observer } from './observer.js';

export interface ObserveHandlerDeps {
  supervisor: Supervisor;
  observer: Observer;
  log(event: string, data: Record<string, unknown>): void;
  /** The daemon's one subscription-id counter. */
  nextSubscription(): number;
}

/** metrics.get and metrics.subscribe. */
export function createObserveHandlers(deps: ObserveHandlerDeps): Pick<Handlers, 'metrics.get' | 'metrics.subscribe'> {
  const { supervisor, observer } = deps;
  return {
    'metrics.get': (p) => {
      const since = typeof p.since === 'number' && Number.isFinite(p.since) ? p.since : 0;
      // One entry per list row: a held app's instances each with their own worker's figures.
      const rows = supervisor.resolveRows(optionalTarget(p.target));
      return {
        intervalMs: observer.sampler.intervalMs,
        apps: rows.map(({ handle: h, row }) => observer.sampler.metrics(row.id, h.spec.name, p.history === true, since, h.held === null ? 'app' : 'instance')),
      };
    },
    'metrics.subscribe': (p, conn) => {
      const target = optionalTarget(p.target);
      const ids = target === 'all' ? null : new Set(supervisor.resolveRows(target).map((r) => r.row.id));
      const subscription = deps.nextSubscription();
      let blocked = false;
      conn.onDrain(() => { blocked = false; });
      // Metrics are a stream of snapshots: while the client's socket is full, skip, never queue.
      const off = observer.subscribe((apps) => {
        if (blocked) return;
        const mine = ids === null ? apps : apps.filter((a) => ids.has(a.id));
        if (!conn.sendEvent(subscription, { type: 'metrics', time: Date.now(), apps: mine })) blocked = true;
      });
      conn.onClose(off);
      return { subscription, intervalMs: observer.sampler.intervalMs };
    },
  };
}
