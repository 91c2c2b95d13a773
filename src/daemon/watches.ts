import type { TendPaths } from '../store/paths.js';
import { WATCH_RESTART_FLOOR } from '../supervisor/restart-policy.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { WatchManager } from '../watch/watch-manager.js';

/** The daemon's watch manager, bound to its supervisor: a watch restart is a normal restart. */
export function createWatches(
  supervisor: Supervisor,
  paths: TendPaths,
  log: (event: string, data: Record<string, unknown>) => void,
): WatchManager {
  return new WatchManager({
    home: paths.home,
    log,
    // By id in O(1): this runs on every state change (resolving a target scans every app).
    app: (id) => {
      const h = supervisor.handle(id);
      return h === undefined ? undefined : { spec: h.spec, status: h.info().status };
    },
    // Cluster and socket-activated apps reload with no downtime; others restart.
    restart: (id) => supervisor.reloadApp(id, { verb: 'watch' }),
    floor: WATCH_RESTART_FLOOR,
  });
}
