import type { ProcessStatus } from './process-info.js';

// The groupings of wire statuses that more than one room asks about, named once (CLI, daemon,
// `tend run`, monit and the dashboard all read them from here).

type StatusSet = ReadonlySet<ProcessStatus>;

/** A process runs and its uptime counts: the list's uptime column, "is it up?". */
export const UP: StatusSet = new Set(['launching', 'online']);

/** The app has, or is about to have, a process: stop and restart make sense (dashboard buttons). */
export const ACTIVE: StatusSet = new Set(['launching', 'online', 'waiting-restart']);

/** Changing by itself right now: a snapshot taken now is already stale. */
export const IN_FLIGHT: StatusSet = new Set(['launching', 'stopping']);

/** Stays as it is until someone asks: nothing more will happen by itself. */
export const AT_REST: StatusSet = new Set(['stopped', 'errored']);

/** File watching is kept on: the app runs, restarts or is being stopped for a restart. */
export const WATCHING: StatusSet = new Set(['launching', 'online', 'waiting-restart', 'stopping']);

/**
 * What the user wants running: `tend save` keeps these (an errored app was wanted, and failed; a
 * waiting one was started and waits for its dependencies).
 */
export const WANTED: StatusSet = new Set(['launching', 'online', 'waiting-restart', 'errored', 'waiting']);

/**
 * The colour a status is shown in, the same in `list` and monit: green running, red errored, gray
 * stopped, yellow on its way somewhere (the dashboard's style.css follows it).
 */
export type StatusColor = 'green' | 'red' | 'gray' | 'yellow';
export function statusColor(s: ProcessStatus): StatusColor {
  return s === 'online' ? 'green' : s === 'errored' ? 'red' : s === 'stopped' ? 'gray' : 'yellow';
}

export const isUp = (s: ProcessStatus): boolean => UP.has(s);
export const isActive = (s: ProcessStatus): boolean => ACTIVE.has(s);
export const isAtRest = (s: ProcessStatus): boolean => AT_REST.has(s);
