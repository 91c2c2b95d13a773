import { TendError } from '../errors.js';
import type { Handlers } from '../rpc/server.js';
import type { TendPaths } from '../store/paths.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** dump.save / dump.resurrect (placeholder until the dump store lands). */
export function createDumpHandlers(deps: { supervisor: Supervisor; paths: TendPaths }): Pick<Handlers, 'dump.save' | 'dump.resurrect'> {
  void deps;
  return {
    'dump.save': () => { throw new TendError('E_INTERNAL', 'tend save is not implemented yet'); },
    'dump.resurrect': () => { throw new TendError('E_INTERNAL', 'tend resurrect is not implemented yet'); },
  };
}
