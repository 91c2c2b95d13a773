import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unmetDependency, failedDependency, type DependencyView } from '../../src/supervisor/dependencies.js';
import { INITIAL, transition, type ProcessEvent, type Snapshot } from '../../src/supervisor/process-machine.js';
import { TASK_COMPLETED, type ProcessInfo } from '../../src/protocol/process-info.js';
import { sampleSpec } from '../helpers/sample-spec.js';

const task = sampleSpec({ task: true });

function run(events: ProcessEvent[], s: Snapshot = INITIAL): { s: Snapshot; effects: string[] } {
  const effects: string[] = [];
  for (const e of events) {
    const t = transition(s, e, task);
    s = t.next;
    effects.push(...t.effects.map((x) => x.type));
  }
  return { s, effects };
}

describe('task apps in the state machine', () => {
  it('exit 0 is completed (stopped), never a restart', () => {
    const r = run([{ type: 'start' }, { type: 'spawned' }, { type: 'exit', code: 0, signal: null, uptimeMs: 5 }]);
    assert.equal(r.s.state, 'stopped');
    assert.equal(r.s.reason, TASK_COMPLETED);
    assert.deepEqual(
      r.effects.filter((e) => e === 'spawn' || e === 'count-restart'),
      ['spawn'],
    );
  });

  it('any other exit is errored with the code or signal, not retried', () => {
    const code = run([{ type: 'start' }, { type: 'spawned' }, { type: 'exit', code: 4, signal: null, uptimeMs: 5000 }]);
    assert.equal(code.s.state, 'errored');
    assert.equal(code.s.reason, 'task failed: exited with code 4');
    const sig = run([{ type: 'start' }, { type: 'spawned' }, { type: 'exit', code: null, signal: 'SIGKILL', uptimeMs: 5 }]);
    assert.equal(sig.s.reason, 'task failed: killed by SIGKILL');
    assert.equal(sig.effects.includes('count-restart'), false);
  });

  it('a stop while it runs is a stop, not a completion', () => {
    const r = run([{ type: 'start' }, { type: 'spawned' }, { type: 'stop' }, { type: 'exit', code: 0, signal: null, uptimeMs: 5 }]);
    assert.equal(r.s.state, 'stopped');
    assert.equal(r.s.reason, null);
  });

  it('`completed` is met only by a completed task; a failed one is a failed dependency', () => {
    const view = (state: DependencyView['state'], reason: string | null): DependencyView => ({
      state,
      info: () => ({ status: state, reason }) as unknown as ProcessInfo,
    });
    const spec = sampleSpec({ dependsOn: [{ app: 'migrate', condition: 'completed' }] });
    assert.equal(
      unmetDependency(spec, () => view('stopped', TASK_COMPLETED)),
      null,
    );
    assert.match(unmetDependency(spec, () => view('online', null)) ?? '', /waiting for migrate \(completed\)/);
    assert.match(unmetDependency(spec, () => view('stopped', null)) ?? '', /migrate is stopped/);
    assert.equal(
      failedDependency(spec, () => view('online', null)),
      null,
    );
    assert.equal(
      failedDependency(spec, () => view('errored', 'task failed: exited with code 1')),
      'not started: migrate did not complete (task failed: exited with code 1)',
    );
  });
});
