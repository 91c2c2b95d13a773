import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INITIAL, toStatus, transition, type ProcessEvent, type Snapshot } from '../../src/supervisor/process-machine.js';

const spec = {
  autorestart: true,
  stopExitCodes: [],
  restartDelayMs: 0,
  expBackoffRestartDelayMs: 0,
  maxRestarts: 2,
  minUptimeMs: 1000,
  killSignal: 'SIGTERM',
  killTimeoutMs: 5000,
  waitReady: false,
  listenTimeoutMs: 3000,
};

function run(events: ProcessEvent[], s: Snapshot = INITIAL, sp = spec) {
  const effects: string[] = [];
  for (const e of events) {
    const t = transition(s, e, sp);
    s = t.next;
    effects.push(...t.effects.map((x) => x.type + ('deadline' in x ? `:${x.deadline}` : '') + ('signal' in x ? `:${x.signal}` : '')));
  }
  return { s, effects };
}

describe('process state machine', () => {
  it('start → spawned → online; exit → immediate restart', () => {
    const r = run([{ type: 'start' }, { type: 'spawned' }]);
    assert.equal(r.s.state, 'online');
    assert.deepEqual(r.effects, ['spawn']);
    const c = run([{ type: 'exit', code: 1, signal: null, uptimeMs: 5000 }], r.s);
    assert.equal(c.s.state, 'starting');
    assert.deepEqual(c.effects, ['cancel:ready', 'count-restart', 'spawn']);
  });

  it('wait_ready: launching until ready, or until the listen timeout', () => {
    const sp = { ...spec, waitReady: true };
    const r = run([{ type: 'start' }, { type: 'spawned' }], INITIAL, sp);
    assert.equal(r.s.state, 'waiting-ready');
    assert.equal(toStatus(r.s.state), 'launching');
    assert.ok(r.effects.includes('schedule:ready'));
    assert.equal(run([{ type: 'ready' }], r.s, sp).s.state, 'online');
    assert.equal(run([{ type: 'deadline', deadline: 'ready' }], r.s, sp).s.state, 'online');
  });

  it('stop: signal, kill deadline, SIGKILL at the deadline, forced recorded; a second stop escalates at once', () => {
    const online = run([{ type: 'start' }, { type: 'spawned' }]).s;
    const st = run([{ type: 'stop' }], online);
    assert.equal(st.s.state, 'stopping');
    assert.deepEqual(st.effects, ['signal:SIGTERM', 'cancel:ready', 'schedule:kill']);
    const dl = run([{ type: 'deadline', deadline: 'kill' }], st.s);
    assert.deepEqual(dl.effects, ['signal:SIGKILL']);
    assert.equal(dl.s.forced, true);
    assert.equal(run([{ type: 'exit', code: null, signal: 'SIGKILL', uptimeMs: 10 }], dl.s).s.state, 'stopped');
    const twice = run([{ type: 'stop' }], st.s);
    assert.deepEqual(twice.effects, ['signal:SIGKILL', 'cancel:kill']);
  });

  it('an exit during a stop is not a crash: no restart', () => {
    const st = run([{ type: 'start' }, { type: 'spawned' }, { type: 'stop' }]).s;
    const r = run([{ type: 'exit', code: 0, signal: null, uptimeMs: 10 }], st);
    assert.equal(r.s.state, 'stopped');
    assert.ok(!r.effects.includes('spawn'));
  });

  it('restart of a running app stops it, then spawns and counts once', () => {
    const online = run([{ type: 'start' }, { type: 'spawned' }]).s;
    const r = run([{ type: 'restart' }, { type: 'exit', code: null, signal: 'SIGTERM', uptimeMs: 10 }], online);
    assert.equal(r.s.state, 'starting');
    assert.deepEqual(
      r.effects.filter((e) => e === 'count-restart' || e === 'spawn'),
      ['count-restart', 'spawn'],
    );
  });

  it('restart of a stopped, errored or backing-off app starts it and counts once (a start does not count)', () => {
    const stopped = run([
      { type: 'start' },
      { type: 'spawned' },
      { type: 'stop' },
      { type: 'exit', code: 0, signal: null, uptimeMs: 10 },
    ]).s;
    assert.equal(stopped.state, 'stopped');
    const r = run([{ type: 'restart' }], stopped);
    assert.equal(r.s.state, 'starting');
    assert.deepEqual(r.effects, ['count-restart', 'spawn']);
    assert.deepEqual(run([{ type: 'start' }], stopped).effects, ['spawn']);
    const errored = { ...stopped, state: 'errored' as const };
    assert.deepEqual(run([{ type: 'restart' }], errored).effects, ['count-restart', 'spawn']);
    const backoff = { ...stopped, state: 'backoff' as const };
    assert.deepEqual(run([{ type: 'restart' }], backoff).effects, ['count-restart', 'cancel:backoff', 'spawn']);
  });

  it('delete of a running app removes it after the stop completes', () => {
    const online = run([{ type: 'start' }, { type: 'spawned' }]).s;
    const r = run([{ type: 'delete' }, { type: 'exit', code: 0, signal: null, uptimeMs: 10 }], online);
    assert.ok(r.effects.includes('remove'));
  });

  it('a crash loop ends errored; start resets it', () => {
    let s = run([{ type: 'start' }, { type: 'spawned' }]).s;
    for (let i = 0; i < 3; i++) s = run([{ type: 'exit', code: 1, signal: null, uptimeMs: 5 }, { type: 'spawned' }], s).s;
    assert.equal(s.state, 'errored');
    assert.equal(toStatus(s.state), 'errored');
    const again = run([{ type: 'start' }], s);
    assert.equal(again.s.state, 'starting');
    assert.equal(again.s.history.unstableRestarts, 0);
  });

  it('backoff: waiting-restart, then spawn at the deadline; stop cancels it', () => {
    const sp = { ...spec, restartDelayMs: 2000 };
    const s = run([{ type: 'start' }, { type: 'spawned' }, { type: 'exit', code: 1, signal: null, uptimeMs: 5000 }], INITIAL, sp);
    assert.equal(toStatus(s.s.state), 'waiting-restart');
    assert.ok(s.effects.includes('schedule:backoff'));
    assert.deepEqual(run([{ type: 'deadline', deadline: 'backoff' }], s.s, sp).effects, ['count-restart', 'spawn']);
    const stopped = run([{ type: 'stop' }], s.s, sp);
    assert.equal(stopped.s.state, 'stopped');
    assert.deepEqual(stopped.effects, ['cancel:backoff']);
  });

  it('a spawn failure counts like a crash', () => {
    const r = run([{ type: 'start' }, { type: 'spawn-failed', message: 'ENOENT' }]);
    assert.equal(r.s.state, 'starting');
    assert.match(r.s.reason ?? '', /could not start: ENOENT/);
  });

  it('adoption by a new daemon: a starting app counts as online; a stop under way goes on', () => {
    const saved = (state: Snapshot['state']): Snapshot => ({ ...INITIAL, state, reason: 'kept' });
    assert.equal(run([{ type: 'adopt', saved: saved('waiting-ready') }]).s.state, 'online');
    const stopping = run([{ type: 'adopt', saved: saved('stopping') }]);
    assert.equal(stopping.s.state, 'stopping');
    assert.deepEqual(stopping.effects, ['signal:SIGTERM', 'schedule:kill']);
    assert.equal(run([{ type: 'adopt', saved: saved('online') }]).s.reason, 'kept');
    // Only a fresh (stopped) app takes a saved state.
    const online = run([{ type: 'start' }, { type: 'spawned' }]).s;
    assert.equal(run([{ type: 'adopt', saved: saved('stopping') }], online).s, online);
  });

  it('restore of an app whose process died unwatched: backoff restarts now, a pid-less run is stopped', () => {
    const saved = (state: Snapshot['state']): Snapshot => ({ ...INITIAL, state });
    const backoff = run([{ type: 'restore', saved: saved('backoff'), hadPid: false }]);
    assert.equal(backoff.s.state, 'starting');
    assert.deepEqual(backoff.effects, ['count-restart', 'spawn']);
    assert.equal(run([{ type: 'restore', saved: saved('starting'), hadPid: false }]).s.state, 'stopped');
    // With a pid the handle reports the exit next: the saved running state stays until then.
    assert.equal(run([{ type: 'restore', saved: saved('online'), hadPid: true }]).s.state, 'online');
    assert.equal(run([{ type: 'restore', saved: saved('errored'), hadPid: false }]).s.state, 'errored');
  });

  it('reset: history and restart count start from zero, the state stays', () => {
    const crashed = run([{ type: 'start' }, { type: 'spawned' }, { type: 'exit', code: 1, signal: null, uptimeMs: 10 }]).s;
    assert.notDeepEqual(crashed.history, INITIAL.history);
    const r = run([{ type: 'reset' }], crashed);
    assert.deepEqual(r.s.history, INITIAL.history);
    assert.equal(r.s.state, crashed.state);
    assert.deepEqual(r.effects, ['reset-restarts']);
  });
});
