import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDependencies, startOrder } from '../../src/config/depends-graph.js';
import { coerceDependsOn, coerceHooks } from '../../src/config/orchestration.js';
import { INITIAL, transition } from '../../src/supervisor/process-machine.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import { hookEventsOf } from '../../src/hooks/hook-events.js';
import type { ProcessStateEvent } from '../../src/protocol/events.js';
import type { ProcessStatus } from '../../src/protocol/process-info.js';

const app = (name: string, deps: string[] = []) => ({
  ...sampleSpec({ name }),
  ...(deps.length > 0 ? { dependsOn: deps.map((d) => ({ app: d, condition: 'started' as const })) } : {}),
});

describe('depends_on and hooks in config files', () => {
  it('reads the list and the map forms, refuses anything else', () => {
    assert.deepEqual(coerceDependsOn('depends_on', ['db', 'cache']), [
      { app: 'db', condition: 'started' },
      { app: 'cache', condition: 'started' },
    ]);
    assert.deepEqual(coerceDependsOn('depends_on', 'db'), [{ app: 'db', condition: 'started' }]);
    assert.deepEqual(coerceDependsOn('depends_on', { db: 'healthy', q: 'ready' }), [
      { app: 'db', condition: 'healthy' },
      { app: 'q', condition: 'ready' },
    ]);
    assert.throws(() => coerceDependsOn('depends_on', { db: 'up' }), /depends_on\.db/);
    assert.throws(() => coerceDependsOn('depends_on', [1]), /depends_on/);
    assert.throws(() => coerceDependsOn('depends_on', ['a', 'a']), /each app named once/);
  });

  it('checks names and cycles, orders dependencies first', () => {
    const apps = [app('web', ['api']), app('api', ['db']), app('db')];
    assert.deepEqual(
      startOrder(apps).map((a) => a.name),
      ['db', 'api', 'web'],
    );
    assert.doesNotThrow(() => checkDependencies(apps, new Set(['web', 'api', 'db']), 'f.json'));
    assert.throws(
      () => checkDependencies([app('a', ['zz'])], new Set(['a']), 'f.json'),
      /f\.json: app `a` depends on `zz`, which is not an app of this file/,
    );
    assert.throws(() => checkDependencies([app('a', ['a'])], new Set(['a']), 'f.json'), /depends on itself/);
    assert.throws(() => checkDependencies([app('a', ['b']), app('b', ['a'])], new Set(['a', 'b']), 'f.json'), /cycle: a → b → a/);
  });

  it('hooks: commands, { command }, { url }; unknown events and bad URLs refused', () => {
    assert.deepEqual(coerceHooks('hooks', { crash: 'notify.sh', online: { url: 'http://127.0.0.1:9/x' }, stop: { command: 'echo' } }), {
      crash: { type: 'command', command: 'notify.sh' },
      online: { type: 'http', url: 'http://127.0.0.1:9/x' },
      stop: { type: 'command', command: 'echo' },
    });
    assert.throws(() => coerceHooks('hooks', { boom: 'x' }), /hooks\.boom/);
    assert.throws(() => coerceHooks('hooks', { crash: { url: 'ftp://x' } }), /hooks\.crash/);
    assert.throws(() => coerceHooks('hooks', { crash: '' }), /hooks\.crash/);
    assert.throws(() => coerceHooks('hooks', ['x']), /hooks/);
  });

  it('the machine holds a start in `waiting` and releases it with start; stop and delete end the wait', () => {
    const spec = sampleSpec();
    const w = transition(INITIAL, { type: 'wait', reason: 'waiting for db (ready)' }, spec);
    assert.equal(w.next.state, 'waiting');
    assert.equal(w.next.reason, 'waiting for db (ready)');
    assert.deepEqual(w.effects, []);
    assert.equal(transition(w.next, { type: 'restart' }, spec).next.state, 'waiting');
    const s = transition(w.next, { type: 'start' }, spec);
    assert.equal(s.next.state, 'starting');
    assert.deepEqual(s.effects, [{ type: 'spawn' }]);
    assert.equal(s.next.reason, null);
    assert.equal(transition(w.next, { type: 'stop' }, spec).next.state, 'stopped');
    assert.deepEqual(
      transition(w.next, { type: 'delete' }, spec).effects.map((e) => e.type),
      ['cancel', 'remove'],
    );
  });
});

describe('hook events from process:state events', () => {
  const ev = (
    status: ProcessStatus,
    previous: ProcessStatus | null,
    restarts = 0,
    exitAt: number | null = null,
    deleted = false,
  ): ProcessStateEvent => ({
    type: 'process:state',
    time: 0,
    previous,
    deleted,
    info: {
      id: 0,
      name: 'a',
      namespace: 'default',
      pid: null,
      status,
      restarts,
      uptimeMs: 0,
      createdAt: 0,
      startedAt: null,
      adopted: false,
      lastExit: exitAt === null ? null : { code: 1, signal: null, at: exitAt, forced: false, unknown: false },
      reason: null,
      nextRestartAt: null,
      cpuPercent: null,
      memoryBytes: null,
    },
  });
  it('tells crash, restart, online, errored and stop apart', () => {
    assert.deepEqual(hookEventsOf(ev('online', null), undefined), ['online']);
    assert.deepEqual(hookEventsOf(ev('online', 'online'), { exitAt: null, restarts: 0 }), []);
    assert.deepEqual(hookEventsOf(ev('waiting-restart', 'online', 0, 5), { exitAt: null, restarts: 0 }), ['crash']);
    assert.deepEqual(hookEventsOf(ev('launching', 'online', 1, 5), { exitAt: null, restarts: 0 }), ['crash', 'restart']);
    assert.deepEqual(hookEventsOf(ev('errored', 'online', 3, 9), { exitAt: 5, restarts: 3 }), ['crash', 'errored']);
    assert.deepEqual(hookEventsOf(ev('stopped', 'stopping', 0, 7), { exitAt: null, restarts: 0 }), ['stop']);
    assert.deepEqual(
      hookEventsOf(ev('launching', 'stopping', 1, 7), { exitAt: null, restarts: 0 }),
      ['restart'],
      'a restart asked for is not a crash',
    );
    assert.deepEqual(
      hookEventsOf(ev('stopped', 'stopped', 0, 7, true), { exitAt: 7, restarts: 0 }),
      [],
      'deleting a stopped app stops nothing',
    );
  });
});
