import type { ProcessInfo, ProcessStatus } from '../protocol/process-info.js';
import type { EventBus } from './event-bus.js';

/**
 * Turns the supervisor's state callbacks into `process:state` events: remembers each app's last
 * published status so that every event says what it changed from.
 */
export function statePublisher(
  bus: EventBus,
  now: () => number,
  exists: (id: number) => boolean = () => true,
): (info: ProcessInfo, deleted: boolean) => void {
  const last = new Map<number, ProcessStatus>();
  return (info, deleted) => {
    // A handle may report once more while it is being torn down: its deleted event was the last.
    if (!deleted && !exists(info.id)) return;
    const previous = last.get(info.id) ?? null;
    if (deleted) last.delete(info.id);
    else last.set(info.id, info.status);
    bus.publish({ type: 'process:state', time: now(), info, previous, deleted }, info.id);
  };
}
