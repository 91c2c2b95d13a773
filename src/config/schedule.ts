import type { AppSpec } from '../protocol/app-spec.js';

/** A scheduled job (`schedule` or `schedule_interval`): run by its schedule, `tend start` or `tend trigger`, not at creation. */
export function isScheduled(spec: Pick<AppSpec, 'schedule' | 'scheduleIntervalMs'>): boolean {
  return spec.schedule !== undefined || spec.scheduleIntervalMs !== undefined;
}
