import { optionalTarget } from '../rpc/params.js';
import { TendError } from '../errors.js';
import { isScheduled } from '../config/schedule.js';
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
export function createObserveHandlers(deps: ObserveHandlerDeps): Pick<Handlers, 'metrics.get' | 'metrics.subscribe' | 'job.trigger'> {
  const { supervisor, observer } = deps;
  return {
    'job.trigger': (p) => {
      const handles = supervisor.resolve(optionalTarget(p.target));
      const plain = handles.find((h) => !isScheduled(h.spec));
      if (plain !== undefined)
        throw new TendError('E_USAGE', `\`${plain.spec.name}\` is not a scheduled job`, {
          hint: `Start or restart it: tend restart ${plain.spec.name}`,
        });
      return handles.map((h) => ({ id: h.id, name: h.spec.name, outcome: observer.jobs.due(h.id, 'trigger') }));
    },
    'metrics.get': (p) => {
      const since = typeof p.since === 'number' && Number.isFinite(p.since) ? p.since : 0;
      // One entry per list row: a pooled app's instances each with their own worker's figures.
      const rows = supervisor.resolveRows(optionalTarget(p.target));
      return {
        intervalMs: observer.sampler.intervalMs,
        apps: rows.map(({ handle: h, row }) =>
          observer.sampler.metrics(row.id, h.spec.name, p.history === true, since, h.pool === null ? 'app' : 'instance'),
        ),
      };
    },
    'metrics.subscribe': (p, conn) => {
      const target = optionalTarget(p.target);
      const ids = target === 'all' ? null : new Set(supervisor.resolveRows(target).map((r) => r.row.id));
      const subscription = deps.nextSubscription();
      let blocked = false;
      conn.onDrain(() => {
        blocked = false;
      });
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
