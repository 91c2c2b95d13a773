import type { AppSpec } from '../protocol/app-spec.js';
import { READY_NEVER_CAME, TASK_COMPLETED, type ProcessStatus } from '../protocol/process-info.js';
import { decideRestart, FRESH_HISTORY, type RestartHistory } from './restart-policy.js';

/**
 * The process state machine: states × events → next state + effects. Pure: it never touches a
 * process, a timer or a file; `process-handle.ts` executes the effects it returns.
 */
export type ProcessState =
  | 'stopped'
  | 'starting'
  | 'waiting-ready'
  | 'online'
  | 'stopping'
  | 'backoff'
  | 'errored'
  /** Asked to start, held until the apps it depends on are far enough (depends_on). */
  | 'waiting';

export type Deadline = 'ready' | 'kill' | 'backoff';

export type ProcessEvent =
  | { type: 'start' }
  /** Hold a start until dependencies are met; `reason` says for what. */
  | { type: 'wait'; reason: string }
  | { type: 'restart' }
  /** `reason`: why a waiting app will not start (a task it waits for failed). */
  | { type: 'stop'; reason?: string }
  | { type: 'delete' }
  | { type: 'spawned' }
  | { type: 'spawn-failed'; message: string }
  | { type: 'ready' }
  | { type: 'exit'; code: number | null; signal: string | null; uptimeMs: number }
  | { type: 'deadline'; deadline: Deadline }
  /** A new daemon takes over the live process of a saved app (see restore.ts). */
  | { type: 'adopt'; saved: Snapshot }
  /** A new daemon restores a saved app whose process is gone; `hadPid`: it had one when saved. */
  | { type: 'restore'; saved: Snapshot; hadPid: boolean }
  /** `tend reset`: the restart count and the unstable-run history start from zero. */
  | { type: 'reset' };

export type Effect =
  | { type: 'spawn' }
  | { type: 'signal'; signal: string }
  | { type: 'schedule'; deadline: Deadline; ms: number }
  | { type: 'cancel'; deadline: Deadline }
  | { type: 'count-restart' }
  | { type: 'reset-restarts' }
  | { type: 'remove' };

/** What happens once a stop completes. */
type AfterStop = 'nothing' | 'start' | 'remove';

export interface Snapshot {
  state: ProcessState;
  history: RestartHistory;
  afterStop: AfterStop;
  /** The stop escalated to SIGKILL. */
  forced: boolean;
  reason: string | null;
}

export interface Transition {
  next: Snapshot;
  effects: Effect[];
}

export const INITIAL: Snapshot = { state: 'stopped', history: FRESH_HISTORY, afterStop: 'nothing', forced: false, reason: null };

type Spec = Pick<
  AppSpec,
  | 'autorestart'
  | 'stopExitCodes'
  | 'restartDelayMs'
  | 'expBackoffRestartDelayMs'
  | 'maxRestarts'
  | 'minUptimeMs'
  | 'killSignal'
  | 'killTimeoutMs'
  | 'waitReady'
  | 'listenTimeoutMs'
  | 'task'
>;

const RUNNING: ReadonlySet<ProcessState> = new Set(['starting', 'waiting-ready', 'online']);

/** True while the app's process is being started, awaits readiness or is online (not stopping). */
export function isUpState(state: ProcessState): boolean {
  return RUNNING.has(state);
}

/** A restart under way: the old process is being stopped and a new one follows (the app is wanted running). */
export function isRestarting(s: Pick<Snapshot, 'state' | 'afterStop'>): boolean {
  return s.state === 'stopping' && s.afterStop === 'start';
}

/** True while a process of the app exists (or is being created). */
export function isRunning(state: ProcessState): boolean {
  return RUNNING.has(state) || state === 'stopping';
}

/** PM2-compatible status names, produced only here. */
export function toStatus(state: ProcessState): ProcessStatus {
  switch (state) {
    case 'starting':
    case 'waiting-ready':
      return 'launching';
    case 'backoff':
      return 'waiting-restart';
    default:
      return state;
  }
}

const stay = (s: Snapshot): Transition => ({ next: s, effects: [] });

/** The transition table. Unlisted (state, event) pairs leave the state unchanged. */
export function transition(s: Snapshot, event: ProcessEvent, spec: Spec): Transition {
  const to = (state: ProcessState, effects: Effect[] = [], patch: Partial<Snapshot> = {}): Transition => ({
    next: { ...s, state, ...patch },
    effects,
  });
  const stopNow = (): Transition =>
    to(
      'stopping',
      [
        { type: 'signal', signal: spec.killSignal },
        { type: 'cancel', deadline: 'ready' },
        { type: 'schedule', deadline: 'kill', ms: spec.killTimeoutMs },
      ],
      { forced: false },
    );

  switch (event.type) {
    case 'wait':
      if (s.state === 'stopped' || s.state === 'errored' || s.state === 'waiting')
        return to('waiting', [], { history: FRESH_HISTORY, afterStop: 'nothing', reason: event.reason });
      if (s.state === 'backoff')
        return to('waiting', [{ type: 'cancel', deadline: 'backoff' }], { history: FRESH_HISTORY, reason: event.reason });
      return stay(s);

    case 'start':
      if (s.state === 'stopped' || s.state === 'errored' || s.state === 'waiting') {
        return to('starting', [{ type: 'spawn' }], { history: FRESH_HISTORY, afterStop: 'nothing', reason: null });
      }
      if (s.state === 'backoff') {
        return to('starting', [{ type: 'cancel', deadline: 'backoff' }, { type: 'spawn' }], { history: FRESH_HISTORY, reason: null });
      }
      if (s.state === 'stopping') return stay({ ...s, afterStop: 'start' });
      return stay(s);

    case 'restart':
      if (s.state === 'waiting') return stay(s);
      if (RUNNING.has(s.state)) return { ...stopNow(), next: { ...stopNow().next, afterStop: 'start' } };
      if (s.state === 'stopping') return stay({ ...s, afterStop: 'start' });
      return countRestart(transition(s, { type: 'start' }, spec));

    case 'stop':
      if (RUNNING.has(s.state)) return stopNow();
      if (s.state === 'stopping') {
        // A second stop while one is in progress escalates at once.
        return to(
          'stopping',
          [
            { type: 'signal', signal: 'SIGKILL' },
            { type: 'cancel', deadline: 'kill' },
          ],
          { afterStop: 'nothing', forced: true },
        );
      }
      if (s.state === 'backoff') return to('stopped', [{ type: 'cancel', deadline: 'backoff' }], { reason: null });
      if (s.state === 'waiting') return to('stopped', [], { reason: event.reason ?? null });
      return stay(s);

    case 'delete':
      if (RUNNING.has(s.state)) return { ...stopNow(), next: { ...stopNow().next, afterStop: 'remove' } };
      if (s.state === 'stopping') return stay({ ...s, afterStop: 'remove' });
      return to('stopped', [{ type: 'cancel', deadline: 'backoff' }, { type: 'remove' }]);

    case 'spawned':
      if (s.state !== 'starting') return stay(s);
      if (spec.waitReady) return to('waiting-ready', [{ type: 'schedule', deadline: 'ready', ms: spec.listenTimeoutMs }]);
      return to('online');

    case 'ready':
      if (s.state === 'waiting-ready') return to('online', [{ type: 'cancel', deadline: 'ready' }], { reason: null });
      return stay(s);

    case 'spawn-failed':
      if (s.state !== 'starting') return stay(s);
      return afterCrash(s, { code: null, signal: null, uptimeMs: 0 }, spec, `could not start: ${event.message}`);

    case 'exit':
      if (s.state === 'stopping') {
        const cancel: Effect = { type: 'cancel', deadline: 'kill' };
        if (s.afterStop === 'start')
          return to('starting', [cancel, { type: 'count-restart' }, { type: 'spawn' }], {
            afterStop: 'nothing',
            history: FRESH_HISTORY,
            reason: null,
          });
        if (s.afterStop === 'remove') return to('stopped', [cancel, { type: 'remove' }]);
        return to('stopped', [cancel], { reason: null });
      }
      if (!RUNNING.has(s.state)) return stay(s);
      // A task runs once: done on exit 0, failed otherwise; never restarted.
      if (spec.task === true) {
        const ok = event.signal === null && event.code === 0;
        return to(ok ? 'stopped' : 'errored', [{ type: 'cancel', deadline: 'ready' }], {
          reason: ok
            ? TASK_COMPLETED
            : `task failed: ${event.signal !== null ? `killed by ${event.signal}` : `exited with code ${String(event.code)}`}`,
        });
      }
      return afterCrash(s, event, spec, null);

    case 'adopt': {
      // Only a fresh app (stopped) takes a saved state. Readiness cannot be awaited across
      // daemons: an adopted app that was starting counts as online. A stop under way goes on.
      if (s.state !== 'stopped') return stay(s);
      const saved = event.saved;
      if (saved.state === 'starting' || saved.state === 'waiting-ready') return { next: { ...saved, state: 'online' }, effects: [] };
      if (saved.state === 'stopping')
        return {
          next: saved,
          effects: [
            { type: 'signal', signal: spec.killSignal },
            { type: 'schedule', deadline: 'kill', ms: spec.killTimeoutMs },
          ],
        };
      return { next: saved, effects: [] };
    }

    case 'restore': {
      // Its process died while no daemon watched. With a pid, the handle then reports the exit
      // (the restart policy applies as for any exit); a pending backoff restart happens now.
      if (s.state !== 'stopped') return stay(s);
      const saved = event.saved;
      if (saved.state === 'backoff')
        return { next: { ...saved, state: 'starting' }, effects: [{ type: 'count-restart' }, { type: 'spawn' }] };
      if (isRunning(saved.state) && !event.hadPid) return { next: { ...saved, state: 'stopped' }, effects: [] };
      return { next: saved, effects: [] };
    }

    case 'reset':
      return { next: { ...s, history: FRESH_HISTORY }, effects: [{ type: 'reset-restarts' }] };

    case 'deadline':
      // Online anyway, as PM2 does, but the reason says the app never said it was ready.
      if (event.deadline === 'ready' && s.state === 'waiting-ready')
        return to('online', [], { reason: `${READY_NEVER_CAME} within listen_timeout (${spec.listenTimeoutMs} ms)` });
      if (event.deadline === 'kill' && s.state === 'stopping')
        return to('stopping', [{ type: 'signal', signal: 'SIGKILL' }], { forced: true });
      if (event.deadline === 'backoff' && s.state === 'backoff') return to('starting', [{ type: 'count-restart' }, { type: 'spawn' }]);
      return stay(s);
  }
}

/** A restart of an app that was not running (stopped, errored, in backoff) still counts as one. */
function countRestart(t: Transition): Transition {
  return t.next.state === 'starting' ? { ...t, effects: [{ type: 'count-restart' }, ...t.effects] } : t;
}

function afterCrash(
  s: Snapshot,
  exit: { code: number | null; signal: string | null; uptimeMs: number },
  spec: Spec,
  why: string | null,
): Transition {
  const cancels: Effect[] = [{ type: 'cancel', deadline: 'ready' }];
  const d = decideRestart(s.history, exit, spec);
  const reason = why ?? d.reason;
  if (d.action === 'give-up') {
    return { next: { ...s, state: d.status, history: d.history, reason }, effects: cancels };
  }
  if (d.delayMs > 0) {
    return {
      next: { ...s, state: 'backoff', history: d.history, reason },
      effects: [...cancels, { type: 'schedule', deadline: 'backoff', ms: d.delayMs }],
    };
  }
  return {
    next: { ...s, state: 'starting', history: d.history, reason },
    effects: [...cancels, { type: 'count-restart' }, { type: 'spawn' }],
  };
}
