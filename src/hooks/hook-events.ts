import type { ProcessStateEvent } from '../protocol/events.js';
import type { HookEvent } from '../protocol/app-spec.js';
import type { ProcessInfo } from '../protocol/process-info.js';

/** What a hook receives (as JSON on stdin, or as the POST body). */
export interface HookPayload {
  event: HookEvent;
  app: string;
  id: number;
  namespace: string;
  time: string;
  status: ProcessInfo['status'];
  previous: ProcessInfo['status'] | null;
  pid: number | null;
  restarts: number;
  lastExit: ProcessInfo['lastExit'];
  reason: string | null;
}

/** Per app, what the previous event showed (to tell a crash or a restart from a repeat). */
export interface Seen {
  exitAt: number | null;
  restarts: number;
}

/**
 * The hook events one process:state event means, given what was seen before (pure):
 * crash = a new exit that was not asked for (not while stopping); restart = the restart
 * counter grew; online, errored = the status became that; stop = stopped after stopping, or
 * deleted.
 */
export function hookEventsOf(e: ProcessStateEvent, seen: Seen | undefined): HookEvent[] {
  const i = e.info;
  const out: HookEvent[] = [];
  const exitAt = i.lastExit?.at ?? null;
  const newExit = exitAt !== null && seen !== undefined && exitAt !== seen.exitAt;
  if (newExit && e.previous !== 'stopping' && !e.deleted) out.push('crash');
  if (seen !== undefined && i.restarts > seen.restarts) out.push('restart');
  if (i.status === 'online' && e.previous !== 'online') out.push('online');
  if (i.status === 'errored' && e.previous !== 'errored') out.push('errored');
  if ((i.status === 'stopped' && e.previous === 'stopping') || (e.deleted && e.previous !== 'stopped' && e.previous !== null))
    out.push('stop');
  return out;
}

export function payloadOf(event: HookEvent, e: ProcessStateEvent): HookPayload {
  const i = e.info;
  return {
    event,
    app: i.name,
    id: i.id,
    namespace: i.namespace,
    time: new Date(e.time).toISOString(),
    status: i.status,
    previous: e.previous,
    pid: i.pid,
    restarts: i.restarts,
    lastExit: i.lastExit,
    reason: i.reason,
  };
}
