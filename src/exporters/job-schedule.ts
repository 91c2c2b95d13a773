import type { AppSpec } from '../protocol/app-spec.js';

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
  if (Number.isInteger(minutes) && minutes >= 1 && minutes < 60 && 60 % minutes === 0)
    return { cron: minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`, why: null };
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours) && hours >= 1 && hours <= 24 && 24 % hours === 0)
    return { cron: hours === 24 ? '0 0 * * *' : `0 */${hours} * * *`, why: null };
  return { cron: null, why: `schedule_interval ${ms} ms is not a whole number of minutes dividing an hour (or hours dividing a day)` };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const NICKNAMES: Record<string, string> = {
  '@yearly': 'yearly',
  '@annually': 'yearly',
  '@monthly': 'monthly',
  '@weekly': 'weekly',
  '@daily': 'daily',
  '@midnight': 'daily',
  '@hourly': 'hourly',
};

/** One cron field as a systemd calendar component; null when it has no equivalent (`1-10/2`). */
function component(field: string, first: number, pad: boolean): string | null {
  if (field === '*') return '*';
  const items = field.split(',').map((item) => {
    const step = /^(\*|\d+)\/(\d+)$/.exec(item);
    if (step !== null) return `${step[1] === '*' ? String(first) : step[1]}/${step[2]}`.replace(/^(\d)\//, pad ? '0$1/' : '$1/');
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (range !== null) return `${range[1]}..${range[2]}`;
    return /^\d+$/.test(item) ? (pad ? item.padStart(2, '0') : item) : null;
  });
  return items.some((i) => i === null) ? null : items.join(',');
}

function weekdays(field: string): string | null {
  if (field === '*' || field === '?') return '';
  const day = (d: string): string | null => {
    if (/^\d$/.test(d)) return DAYS[Number(d)] ?? null;
    const named = DAYS.find((n) => n.toLowerCase() === d.toLowerCase().slice(0, 3));
    return named ?? null;
  };
  const items = field.split(',').map((item) => {
    const [a, b, extra] = item.split('-');
    if (extra !== undefined || a === undefined) return null;
    const from = day(a);
    const to = b === undefined ? from : day(b);
    return from === null || to === null ? null : b === undefined ? from : `${from}..${to}`;
  });
  return items.some((i) => i === null) ? null : items.join(',');
}

/**
 * A cron pattern as systemd's OnCalendar= (`0 6 * * 1-5` → `Mon..Fri *-*-* 06:00:00`), or null
 * with why. Cron runs when EITHER day-of-month or day-of-week matches (both restricted), systemd
 * when both do: that case is refused rather than changed.
 */
export function onCalendar(pattern: string): { calendar: string | null; why: string | null } {
  const nick = NICKNAMES[pattern.toLowerCase()];
  if (nick !== undefined) return { calendar: nick, why: null };
  const f = pattern.split(' ');
  const [sec, min, hour, dom, mon, dow] = f.length === 6 ? f : ['0', ...f];
  if (f.length !== 5 && f.length !== 6) return { calendar: null, why: `\`${pattern}\` is not a 5- or 6-field cron pattern` };
  if (dom !== '*' && dom !== '?' && dow !== '*' && dow !== '?')
    return {
      calendar: null,
      why: `\`${pattern}\` restricts both the day of the month and the day of the week (cron: either; systemd: both)`,
    };
  const parts = [
    component(sec ?? '', 0, true),
    component(min ?? '', 0, true),
    component(hour ?? '', 0, true),
    component(dom === '?' ? '*' : (dom ?? ''), 1, false),
    component(mon ?? '', 1, false),
    weekdays(dow ?? ''),
  ];
  if (parts.some((p) => p === null))
    return { calendar: null, why: `\`${pattern}\` uses a cron form with no OnCalendar= equivalent (a stepped range)` };
  const [s, m, h, d, mo, w] = parts as string[];
  return { calendar: `${w === '' ? '' : `${w} `}*-${mo}-${d} ${h}:${m}:${s}`, why: null };
}
