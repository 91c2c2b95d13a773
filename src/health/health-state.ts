import type { HealthSpec } from '../protocol/app-spec.js';
import type { HealthStatus } from '../protocol/process-info.js';
import type { ProbeResult } from './probe.js';

/** The health of one run of an app. Pure data; `next()` is the whole policy. */
export interface HealthState {
  status: HealthStatus;
  /** Consecutive failures that counted (outside start_period). */
  failures: number;
  /** When this run started (start_period counts from here). */
  startedAt: number;
  passedOnce: boolean;
  last: { ok: boolean; at: number; message: string } | null;
}

export interface HealthDecision {
  next: HealthState;
  /** The first passing check of this run (readiness for wait_ready). */
  ready: boolean;
  /** Set when the app must be restarted: the reason, for the log and `describe`. */
  restart: string | null;
}

export function freshHealth(now: number): HealthState {
  return { status: 'starting', failures: 0, startedAt: now, passedOnce: false, last: null };
}

/**
 * Docker's HEALTHCHECK rules, plus the restart: a pass makes the app healthy; a failure inside
 * start_period does not count (until a first pass ends the start period); `retries` counted failures in a row make it unhealthy, and an
 * unhealthy app is restarted (a hung event loop answers nothing, but its process lives on).
 */
export function nextHealth(s: HealthState, result: ProbeResult, spec: HealthSpec, now: number): HealthDecision {
  const last = { ok: result.ok, at: now, message: result.message };
  if (result.ok) {
    return { next: { ...s, status: 'healthy', failures: 0, passedOnce: true, last }, ready: !s.passedOnce, restart: null };
  }
  // As in Docker: once a check has passed, the start period is over for this run.
  if (!s.passedOnce && now - s.startedAt < spec.startPeriodMs) return { next: { ...s, last }, ready: false, restart: null };
  const failures = s.failures + 1;
  if (failures < spec.retries) return { next: { ...s, failures, last }, ready: false, restart: null };
  return {
    next: { ...s, failures, status: 'unhealthy', last },
    ready: false,
    restart: `health check failed ${failures} time${failures === 1 ? '' : 's'} in a row (${result.message})`,
  };
}
