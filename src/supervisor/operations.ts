import type { AppSpec } from '../protocol/app-spec.js';
import { faultPoint } from './fault-points.js';
import type { OperationEntry, OpVerb } from './handle-types.js';
import type { ProcessHandle } from './process-handle.js';

/**
 * Records an operation before it acts (DESIGN.md §9): the apps it is for, what it leaves them
 * doing and the specs it gives them, so a daemon killed half-way is followed by one that
 * finishes it (see finishOperation in restore.ts). Each app of a `run` operation keeps it as
 * pending until its new run is spawned. Throws E_WRITE_FAILED, before anything changed, when
 * it cannot be recorded.
 */
export function beginOperation(
  record: (entry: OperationEntry) => void,
  at: number,
  verb: OperationEntry['verb'],
  goal: OperationEntry['goal'],
  handles: ProcessHandle[],
  specs?: Map<ProcessHandle, AppSpec>,
): void {
  if (handles.length === 0) return;
  const given =
    specs === undefined ? undefined : Object.fromEntries([...specs].map(([h, spec]) => [String(h.id), { spec, createdAt: h.createdAt }]));
  record({ op: 'operation', verb, goal, ids: handles.map((h) => h.id), at, ...(given === undefined ? {} : { specs: given }) });
  faultPoint('after-operation');
  if (goal !== 'run') return;
  for (const h of handles) h.pending = { verb: verb as OpVerb, at };
}
