/** The longest delay Node's timers hold (2^31 - 1 ms, 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending setLongTimeout. */
export interface LongTimeout {
  cancel(): void;
}

/**
 * setTimeout for any delay, unref'd: past MAX_TIMER_MS it waits in steps, so `max_age: 30d` or
 * `schedule_interval: 30d` comes in 30 days. (A plain setTimeout of 30 days fires after 1 ms, with a
 * TimeoutOverflowWarning: an app recycled or a job run in a loop.)
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  let left = Math.max(0, ms);
  let timer: NodeJS.Timeout;
  const step = (): void => {
    const wait = Math.min(left, MAX_TIMER_MS);
    left -= wait;
    timer = setTimeout(left > 0 ? step : fn, wait);
    timer.unref();
  };
  step();
  return { cancel: () => clearTimeout(timer) };
}
