import type { AppSpec } from '../protocol/model.js';

/**
 * A scheduled job's times as a 5-field cron pattern (Kubernetes CronJob): `schedule` as it is
 * when it has 5 fields; `schedule_interval` when it is whole minutes dividing an hour (`*\/15 * *
 * * *`) or whole hours dividing a day. Otherwise null, with why.
 */
export function fiveFieldCron(spec: Pick<AppSpec, 'schedule' | 'scheduleIntervalMs'>): { cron: string | null; why: string | null } {
  if (spec.schedule !== undefined) {
    if (spec.schedule.split(' ').length === 5 || spec.schedule.startsWith('@')) return { cron: spec.schedule, why: null };
    return { cron: null, why: `schedule \`${spec.schedule}\` has a seconds field, which a 5-field cron pattern cannot carry` };
  }
  const ms = spec.scheduleIntervalMs ?? 0;
  const minutes = ms / 60_000;
  if (Number.isInteger(minutes) && minutes >= 1 && minutes < 60 && 60 % minutes === 0) return { cron: minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`, why: null };
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours) && hours >= 1 && hours <= 24 && 24 % hours === 0) return { cron: hours === 24 ? '0 0 * * *' : `0 */${hours} * * *`, why: null };
  return { cron: null, why: `schedule_interval ${ms} ms is not a whole number of minutes dividing an hour (or hours dividing a day)` };
}
