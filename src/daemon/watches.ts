import { isTendError } from '../errors.js';
import type { TendPaths } from '../store/paths.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { WatchManager } from '../watch/watch-manager.js';

/** The daemon's watch manager, bound to its supervisor: a watch restart is a normal restart. */
export function createWatches(supervisor: Supervisor, paths: TendPaths, log: (event: string, data: Record<string, unknown>) => void): WatchManager {
  return new WatchManager({
    home: paths.home,
    log,
    app: (id) => {
      try {
        const h = supervisor.resolve(id)[0];
        return h === undefined ? undefined : { spec: h.spec, status: h.info().status };
      } catch (err) {
        if (isTendError(err) && err.code === 'E_APP_NOT_FOUND') return undefined;
        throw err;
      }
    },
    // Cluster and socket-activated apps reload with no downtime; others restart.
    restart: (id) => supervisor.reload(id),
  });
}
