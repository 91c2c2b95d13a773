import type { AppSpec } from '../protocol/app-spec.js';

/** What the supervisor remembers between incarnations; reset by a stable run or a manual start. */
export interface RestartHistory {
  /** Consecutive runs shorter than min_uptime. */
  unstableRestarts: number;
  /** Consecutive crashes since the last stable run (drives the exponential backoff). */
  consecutiveCrashes: number;
  /** Consecutive runs shorter than QUICK_RUN_MS, whatever min_uptime says (drives the floor). */
  quickExits: number;
}

export interface ExitFacts {
  code: number | null;
  signal: string | null;
  uptimeMs: number;
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; history: RestartHistory; reason: string }
  | { action: 'give-up'; status: 'stopped' | 'errored'; history: RestartHistory; reason: string };

/** pm2 caps its exponential backoff at 15 s; so do we. */
export const MAX_BACKOFF_MS = 15_000;

export const FRESH_HISTORY: RestartHistory = { unstableRestarts: 0, consecutiveCrashes: 0, quickExits: 0 };

/**
 * The restart-rate floor, which no setting turns off: an app that keeps exiting within
 * QUICK_RUN_MS of its start is restarted at once twice, then no sooner than FLOOR_FIRST_MS after
 * its third quick exit, doubling up to FLOOR_MAX_MS (s6's one restart a second). A run of
 * QUICK_RUN_MS or more resets it. Without it `min_uptime 0` (or a huge `max_restarts`) lets a
 * crashing app restart hundreds of times a second and burn a core.
 */
export const QUICK_RUN_MS = 1000;
export const FLOOR_FREE_QUICK_EXITS = 2;
export const FLOOR_FIRST_MS = 100;
export const FLOOR_MAX_MS = 1000;

/** The least delay before the next start after `quickExits` quick exits in a row. */
export function restartFloorMs(quickExits: number): number {
  if (quickExits <= FLOOR_FREE_QUICK_EXITS) return 0;
  return Math.min(FLOOR_MAX_MS, FLOOR_FIRST_MS * 2 ** Math.min(quickExits - FLOOR_FREE_QUICK_EXITS - 1, 30));
}

/** The same floor for watch restarts (a burst that began within QUICK_RUN_MS of the last one is quick). */
export const WATCH_RESTART_FLOOR = { quickRunMs: QUICK_RUN_MS, floorMs: restartFloorMs } as const;

type Policy = Pick<
  AppSpec,
  'autorestart' | 'stopExitCodes' | 'restartDelayMs' | 'expBackoffRestartDelayMs' | 'maxRestarts' | 'minUptimeMs'
>;

/**
 * Decides what follows an unrequested exit: a pure function of history, exit and spec.
 * - `autorestart: false` or an exit code in `stop_exit_codes`: stop, not a failure.
 * - A run shorter than `min_uptime` is unstable; `max_restarts` unstable runs in a row (PM2's
 *   count) mark the app errored (so a crash loop ends, and costs nothing while it lasts).
 * - A stable run resets both counters.
 * - The first restart after a stable run is immediate unless `restart_delay` is set; with
 *   `exp_backoff_restart_delay` each further consecutive crash doubles the delay up to 15 s.
 * - Whatever the spec says, the delay is at least the restart-rate floor (restartFloorMs).
 */
export function decideRestart(history: RestartHistory, exit: ExitFacts, spec: Policy): RestartDecision {
  const how = exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`;
  if (!spec.autorestart) {
    return { action: 'give-up', status: 'stopped', history, reason: `${how}; autorestart is off` };
  }
  if (exit.signal === null && exit.code !== null && spec.stopExitCodes.includes(exit.code)) {
    return { action: 'give-up', status: 'stopped', history, reason: `${how}, a stop exit code` };
  }
  const stable = exit.uptimeMs >= spec.minUptimeMs;
  const quickExits = exit.uptimeMs < QUICK_RUN_MS ? history.quickExits + 1 : 0;
  const next: RestartHistory = stable
    ? { unstableRestarts: 0, consecutiveCrashes: 1, quickExits }
    : { unstableRestarts: history.unstableRestarts + 1, consecutiveCrashes: history.consecutiveCrashes + 1, quickExits };
  // PM2's count: `max_restarts: N` gives up at the N-th unstable run in a row (N runs in all).
  if (next.unstableRestarts >= spec.maxRestarts) {
    return {
      action: 'give-up',
      status: 'errored',
      history: next,
      reason: `${how}; ${next.unstableRestarts} runs in a row lasted less than min_uptime (${spec.minUptimeMs} ms): giving up`,
    };
  }
  const delayMs = Math.max(restartDelay(next.consecutiveCrashes, spec), restartFloorMs(quickExits));
  return { action: 'restart', delayMs, history: next, reason: how };
}

function restartDelay(consecutiveCrashes: number, spec: Policy): number {
  if (spec.expBackoffRestartDelayMs > 0) {
    if (consecutiveCrashes <= 1) return spec.restartDelayMs;
    const exp = spec.expBackoffRestartDelayMs * 2 ** Math.min(consecutiveCrashes - 2, 30);
    return Math.min(MAX_BACKOFF_MS, Math.max(spec.restartDelayMs, exp));
  }
  return spec.restartDelayMs;
}
