import { MIN_READY_DEFAULT_MS, type AppSpec } from '../protocol/app-spec.js';
import type { ProcessStatus } from '../protocol/process-info.js';
import { decideRestart, FRESH_HISTORY, type RestartHistory } from '../supervisor/restart-policy.js';

export interface Exit {
  code: number | null;
  signal: string | null;
}

/**
 * The state of one instance of a pooled app. `R` is the pool's handle on one process (opaque
 * here, so the machine is pure and tested with plain values). A process is `null` while its
 * spawn is in flight.
 * - launching: started (first start, crash restart, restart of the instance), not ready yet;
 * - online: ready (or listen_timeout passed at a start);
 * - replacing: a reload's new process (`fresh`) runs beside the current one (`run`, null when
 *   it crashed meanwhile); `proving` once the new one is ready and is watched for min_ready;
 * - waiting-restart: crashed, its restart is scheduled;
 * - stopping: its process is retiring, then the slot starts again (`restart`) or goes (`remove`);
 * - removed: gone from the pool (scale-down, holder stop);
 * - errored / stopped: the restart policy gave up.
 */
export type SlotState<R> =
  | { kind: 'launching'; run: R | null }
  | { kind: 'online'; run: R }
  | { kind: 'replacing'; run: R | null; fresh: R | null; spec: AppSpec; proving: boolean }
  | { kind: 'waiting-restart'; delayMs: number }
  | { kind: 'stopping'; run: R; then: 'start' | 'remove' | 'stop' }
  | { kind: 'removed' }
  | { kind: 'errored' }
  | { kind: 'stopped' };

export interface Slot<R> {
  readonly instance: number;
  readonly state: SlotState<R>;
  /** The spec of the instance's current process (a reload changes it once the new one is proven). */
  readonly spec: AppSpec;
  readonly restarts: number;
  readonly history: RestartHistory;
  /** Why the instance last crashed and what the restart policy did about it (`list`'s reason); absent until then. */
  readonly reason?: string;
}

export type SlotEvent<R> =
  /** A spawn asked for by a `spawn` effect finished (`run` null: it failed, `reason` says why). */
  | { type: 'spawned'; fresh: boolean; run: R | null; reason?: string }
  | { type: 'ready'; run: R }
  /** listen_timeout passed without readiness. */
  | { type: 'ready-timeout'; run: R }
  | { type: 'exit'; run: R; exit: Exit; uptimeMs: number }
  /** The new process stayed up for min_ready after it was ready. */
  | { type: 'proven'; run: R }
  | { type: 'restart-due' }
  | { type: 'replace'; spec: AppSpec }
  /** Stop this instance and start it again (`tend restart <instance id>`). */
  | { type: 'restart' }
  /** Stop this instance for good (scale-down, holder stop). */
  | { type: 'remove' }
  /** Stop this instance and keep its slot, stopped (`tend stop <instance id>`). */
  | { type: 'stop' }
  /** Start a stopped or errored instance again (`tend start <instance id>`); not a restart. */
  | { type: 'start' }
  /** Restart counter and crash history back to zero (`tend reset`). */
  | { type: 'reset' };

export type SlotEffect<R> =
  | { type: 'spawn'; spec: AppSpec; fresh: boolean }
  /** Graceful stop (out of rotation, kill_signal, SIGKILL: the stop sequence). */
  | { type: 'retire'; run: R; spec: AppSpec }
  | { type: 'kill'; run: R }
  /** Watch a ready process for min_ready, then send `proven`. */
  | { type: 'prove'; run: R; ms: number }
  | { type: 'schedule-restart'; ms: number }
  | { type: 'cancel-restart' }
  /** The reload of this instance ended: `error` null when its new process took over. */
  | { type: 'replaced'; error: string | null }
  | { type: 'log'; line: string };

export interface Step<R> {
  slot: Slot<R>;
  effects: SlotEffect<R>[];
}

/** A new instance: launching, or `stopped` (the app started for another of its instances: `tend start <instance id>`). */
export function newSlot<R>(instance: number, spec: AppSpec, stopped = false): Step<R> {
  if (stopped) return { slot: { instance, spec, restarts: 0, history: FRESH_HISTORY, state: { kind: 'stopped' } }, effects: [] };
  return {
    slot: { instance, spec, restarts: 0, history: FRESH_HISTORY, state: { kind: 'launching', run: null } },
    effects: [{ type: 'spawn', spec, fresh: false }],
  };
}

/** What `list` shows for a slot, and the process it shows. */
export function slotView<R>(state: SlotState<R>): { status: ProcessStatus; run: R | null } {
  switch (state.kind) {
    case 'launching':
      return { status: 'launching', run: state.run };
    case 'online':
      return { status: 'online', run: state.run };
    case 'replacing':
      return state.run === null ? { status: 'launching', run: state.fresh } : { status: 'online', run: state.run };
    case 'waiting-restart':
      return { status: 'waiting-restart', run: null };
    case 'stopping':
      return { status: 'stopping', run: state.run };
    case 'removed':
    case 'stopped':
      return { status: 'stopped', run: null };
    case 'errored':
      return { status: 'errored', run: null };
  }
}

const why = (exit: Exit): string => (exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`);

/** The one place a slot changes: a pure function of the slot and an event. */
export function transition<R>(slot: Slot<R>, event: SlotEvent<R>): Step<R> {
  const s = slot.state;
  const to = (state: SlotState<R>, effects: SlotEffect<R>[] = [], more: Partial<Slot<R>> = {}): Step<R> => ({
    slot: { ...slot, ...more, state },
    effects,
  });
  const stay: Step<R> = { slot, effects: [] };
  switch (event.type) {
    case 'spawned':
      return spawned(slot, event, to, stay);
    case 'ready':
    case 'ready-timeout':
      if (s.kind === 'launching' && s.run === event.run) return to({ kind: 'online', run: event.run });
      if (s.kind === 'replacing' && s.fresh === event.run && !s.proving) {
        if (event.type === 'ready-timeout')
          return freshFailed(
            slot,
            s,
            `was not ready within listen_timeout (${s.spec.listenTimeoutMs} ms): ${s.spec.waitReady ? 'no `ready` message came' : 'it never listened'}`,
            to,
          );
        const ms = s.spec.minReadyMs ?? MIN_READY_DEFAULT_MS;
        return to({ ...s, proving: true }, [{ type: 'prove', run: event.run, ms }]);
      }
      return stay;
    case 'proven':
      if (s.kind !== 'replacing' || s.fresh !== event.run || !s.proving) return stay;
      return to(
        { kind: 'online', run: event.run },
        [
          ...(s.run === null ? [] : [{ type: 'retire' as const, run: s.run, spec: slot.spec }]),
          { type: 'replaced', error: null },
          // A replaced process counts as a restart of the instance, as PM2's restart_time does.
        ],
        { spec: s.spec, history: FRESH_HISTORY, restarts: slot.restarts + 1 },
      );
    case 'exit':
      return exited(slot, event, to, stay);
    case 'restart-due':
      if (s.kind !== 'waiting-restart') return stay;
      return to({ kind: 'launching', run: null }, [{ type: 'spawn', spec: slot.spec, fresh: false }], { restarts: slot.restarts + 1 });
    case 'replace':
      return replace(slot, event.spec, to);
    case 'restart':
      return restart(slot, to);
    case 'remove':
      return remove(slot, to);
    case 'stop':
      return stopKeep(slot, to);
    case 'start':
      if (s.kind !== 'stopped' && s.kind !== 'errored' && s.kind !== 'waiting-restart') return stay;
      return to({ kind: 'launching', run: null }, [{ type: 'cancel-restart' }, { type: 'spawn', spec: slot.spec, fresh: false }], {
        history: FRESH_HISTORY,
      });
    case 'reset':
      return to(s, [], { restarts: 0, history: FRESH_HISTORY });
  }
}

type To<R> = (state: SlotState<R>, effects?: SlotEffect<R>[], more?: Partial<Slot<R>>) => Step<R>;

function spawned<R>(slot: Slot<R>, event: Extract<SlotEvent<R>, { type: 'spawned' }>, to: To<R>, stay: Step<R>): Step<R> {
  const s = slot.state;
  const expected = event.fresh ? s.kind === 'replacing' && s.fresh === null : s.kind === 'launching' && s.run === null;
  if (!expected) return event.run === null ? stay : { slot, effects: [{ type: 'kill', run: event.run }] };
  if (event.run === null) {
    const reason = `could not start: ${event.reason ?? 'unknown error'}`;
    if (s.kind === 'replacing') return freshFailed(slot, s, reason, to);
    return afterCrash(slot, { code: null, signal: null }, 0, to, [{ type: 'log', line: `instance ${slot.instance}: ${reason}` }], reason);
  }
  if (s.kind === 'replacing') return to({ ...s, fresh: event.run });
  return to({ kind: 'launching', run: event.run });
}

function exited<R>(slot: Slot<R>, event: Extract<SlotEvent<R>, { type: 'exit' }>, to: To<R>, stay: Step<R>): Step<R> {
  const s = slot.state;
  switch (s.kind) {
    case 'launching':
    case 'online':
      return s.run === event.run ? afterCrash(slot, event.exit, event.uptimeMs, to) : stay;
    case 'replacing':
      if (s.fresh === event.run) {
        const reason = s.proving
          ? `${why(event.exit)} after it was ready, within min_ready (${s.spec.minReadyMs ?? MIN_READY_DEFAULT_MS} ms)`
          : `${why(event.exit)} before it was ready`;
        return freshFailed(slot, s, reason, to, event.exit);
      }
      // The old process crashed while its replacement starts: the replacement takes over, or
      // the restart policy applies if it fails.
      if (s.run === event.run)
        return to({ ...s, run: null }, [{ type: 'log', line: `instance ${slot.instance}: ${why(event.exit)} during its reload` }]);
      return stay;
    case 'stopping':
      if (s.run !== event.run) return stay;
      if (s.then === 'remove') return to({ kind: 'removed' });
      if (s.then === 'stop') return to({ kind: 'stopped' });
      return to({ kind: 'launching', run: null }, [{ type: 'spawn', spec: slot.spec, fresh: false }], {
        restarts: slot.restarts + 1,
        history: FRESH_HISTORY,
      });
    default:
      return stay;
  }
}

/** The new process of a reload failed: it goes, and the instance keeps what it had. */
function freshFailed<R>(slot: Slot<R>, s: Extract<SlotState<R>, { kind: 'replacing' }>, reason: string, to: To<R>, exit?: Exit): Step<R> {
  const effects: SlotEffect<R>[] = [];
  if (exit === undefined && s.fresh !== null) effects.push({ type: 'kill', run: s.fresh });
  effects.push({ type: 'replaced', error: reason });
  if (s.run !== null) return to({ kind: 'online', run: s.run }, effects);
  // Its old process is gone too: restart it with its own spec, as after any crash.
  return afterCrash(slot, { code: null, signal: null }, 0, to, effects);
}

/** `why`: what the instance shows as its reason instead of the policy's (a spawn that failed says so). */
function afterCrash<R>(slot: Slot<R>, exit: Exit, uptimeMs: number, to: To<R>, before: SlotEffect<R>[] = [], why?: string): Step<R> {
  const d = decideRestart(slot.history, { ...exit, uptimeMs }, slot.spec);
  const effects: SlotEffect<R>[] = [...before, { type: 'log', line: `instance ${slot.instance}: ${d.reason}` }];
  const reason = why ?? d.reason;
  if (d.action === 'give-up') return to({ kind: d.status }, effects, { history: d.history, reason });
  return to({ kind: 'waiting-restart', delayMs: d.delayMs }, [...effects, { type: 'schedule-restart', ms: d.delayMs }], {
    history: d.history,
    reason,
  });
}

function replace<R>(slot: Slot<R>, spec: AppSpec, to: To<R>): Step<R> {
  const s = slot.state;
  const spawn: SlotEffect<R> = { type: 'spawn', spec, fresh: true };
  switch (s.kind) {
    case 'online':
      return to({ kind: 'replacing', run: s.run, fresh: null, spec, proving: false }, [spawn]);
    case 'launching':
      return to({ kind: 'replacing', run: s.run, fresh: null, spec, proving: false }, [spawn]);
    case 'waiting-restart':
    case 'errored':
    case 'stopped':
      return to({ kind: 'replacing', run: null, fresh: null, spec, proving: false }, [{ type: 'cancel-restart' }, spawn]);
    default:
      return { slot, effects: [{ type: 'replaced', error: `instance ${slot.instance} is ${s.kind}` }] };
  }
}

function restart<R>(slot: Slot<R>, to: To<R>): Step<R> {
  const s = slot.state;
  switch (s.kind) {
    case 'online':
      return to({ kind: 'stopping', run: s.run, then: 'start' }, [{ type: 'retire', run: s.run, spec: slot.spec }]);
    case 'launching':
      if (s.run === null) return { slot, effects: [] };
      return to({ kind: 'stopping', run: s.run, then: 'start' }, [{ type: 'retire', run: s.run, spec: slot.spec }]);
    case 'waiting-restart':
    case 'errored':
    case 'stopped':
      return to({ kind: 'launching', run: null }, [{ type: 'cancel-restart' }, { type: 'spawn', spec: slot.spec, fresh: false }], {
        restarts: slot.restarts + 1,
        history: FRESH_HISTORY,
      });
    default:
      return { slot, effects: [] };
  }
}

function remove<R>(slot: Slot<R>, to: To<R>): Step<R> {
  const s = slot.state;
  switch (s.kind) {
    case 'online':
    case 'launching':
      if (s.run === null) return to({ kind: 'removed' });
      return to({ kind: 'stopping', run: s.run, then: 'remove' }, [{ type: 'retire', run: s.run, spec: slot.spec }]);
    case 'replacing': {
      const effects: SlotEffect<R>[] = [
        ...(s.fresh === null ? [] : [{ type: 'kill' as const, run: s.fresh }]),
        { type: 'replaced', error: 'was stopped: the app stopped during the reload' },
      ];
      if (s.run === null) return to({ kind: 'removed' }, effects);
      return to({ kind: 'stopping', run: s.run, then: 'remove' }, [...effects, { type: 'retire', run: s.run, spec: slot.spec }]);
    }
    case 'stopping':
      return to({ ...s, then: 'remove' });
    case 'removed':
      return { slot, effects: [] };
    default:
      return to({ kind: 'removed' }, [{ type: 'cancel-restart' }]);
  }
}

/** `stop`: like a removal, but the slot stays, stopped, until a `start`. */
function stopKeep<R>(slot: Slot<R>, to: To<R>): Step<R> {
  const s = slot.state;
  switch (s.kind) {
    case 'removed':
    case 'stopped':
      return { slot, effects: [] };
    case 'stopping':
      return to({ ...s, then: s.then === 'remove' ? 'remove' : 'stop' });
    case 'waiting-restart':
    case 'errored':
      return to({ kind: 'stopped' }, [{ type: 'cancel-restart' }]);
    default: {
      const step = remove(slot, to);
      const st = step.slot.state;
      if (st.kind === 'removed') return { ...step, slot: { ...step.slot, state: { kind: 'stopped' } } };
      if (st.kind === 'stopping') return { ...step, slot: { ...step.slot, state: { ...st, then: 'stop' } } };
      return step;
    }
  }
}
