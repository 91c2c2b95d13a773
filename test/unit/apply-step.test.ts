import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyStep, type AppNow } from '../../src/supervisor/apply-step.js';
import type { ApplyMode } from '../../src/protocol/methods.js';
import { sampleSpec } from '../helpers/sample-spec.js';

// What each verb of a config file does to an existing app: the verb decides, and only `apply`
// looks at whether the spec changed (so new code on disk is shipped by every other verb).

const fork = sampleSpec();
const cluster = sampleSpec({ execMode: 'cluster', instances: 2 });
const sockets = sampleSpec({ listen: ['8080'], instances: 2 });
const modes: ApplyMode[] = ['apply', 'start', 'restart', 'reload'];
const running = (spec = cluster, holderRunning = true): AppNow => ({ state: 'online', spec, holderRunning });

describe('applyStep', () => {
  it('starts an app that does not run, whatever the verb', () => {
    for (const mode of modes) {
      for (const state of ['stopped', 'errored'] as const)
        assert.equal(applyStep({ state, spec: fork, holderRunning: false }, fork, mode), 'started', `${mode} of ${state}`);
    }
  });

  it('a scheduled job that does not run is updated, whatever the verb: it runs at its next time', () => {
    const job = sampleSpec({ schedule: '0 6 * * *' });
    for (const mode of modes) {
      const now: AppNow = { state: 'stopped', spec: job, holderRunning: false };
      assert.equal(applyStep(now, sampleSpec({ schedule: '0 6 * * *' }), mode), 'unchanged', mode);
      assert.equal(applyStep(now, sampleSpec({ schedule: '0 7 * * *' }), mode), 'updated', mode);
    }
  });

  it('apply: unchanged when the spec is the same, restarted when it changed', () => {
    assert.equal(applyStep(running(fork, false), sampleSpec(), 'apply'), 'unchanged');
    assert.equal(applyStep(running(), sampleSpec({ execMode: 'cluster', instances: 2 }), 'apply'), 'unchanged');
    assert.equal(applyStep(running(fork, false), sampleSpec({ env: { NODE_ENV: 'staging' } }), 'apply'), 'restarted');
  });

  it('start and restart: a running app is restarted even when its spec did not change (pm2 start|restart <file>)', () => {
    for (const mode of ['start', 'restart'] as const) {
      assert.equal(applyStep(running(fork, false), fork, mode), 'restarted');
      assert.equal(applyStep(running(), cluster, mode), 'restarted');
    }
  });

  it('reload: a running cluster, socket-activated or fork-mode Node app is reloaded even when its spec did not change; another fork app restarted', () => {
    assert.equal(applyStep(running(), cluster, 'reload'), 'reloaded');
    assert.equal(applyStep(running(), sampleSpec({ execMode: 'cluster', instances: 4, env: { V: '2' } }), 'reload'), 'reloaded');
    assert.equal(applyStep(running(sockets), sockets, 'reload'), 'reloaded');
    assert.equal(applyStep(running(fork, false), fork, 'reload'), 'reloaded');
    const python = sampleSpec({ exec: { script: 'app.py', args: [], interpreter: 'python3', interpreterArgs: [], shell: false } });
    assert.equal(applyStep(running(python, false), python, 'reload'), 'restarted');
    assert.equal(applyStep(running(fork, false), python, 'reload'), 'restarted', 'a fork Node app that becomes another command restarts');
  });

  it('reload restarts when a rolling reload cannot be done: holder not running, not online, or another kind of holder', () => {
    assert.equal(applyStep(running(cluster, false), cluster, 'reload'), 'restarted');
    assert.equal(applyStep({ state: 'waiting-ready', spec: cluster, holderRunning: true }, cluster, 'reload'), 'restarted');
    assert.equal(applyStep(running(), fork, 'reload'), 'restarted');
    assert.equal(applyStep(running(fork, false), cluster, 'reload'), 'restarted');
    assert.equal(applyStep(running(), sockets, 'reload'), 'restarted');
    assert.equal(applyStep(running(sockets), sampleSpec({ listen: ['9090'], instances: 2 }), 'reload'), 'restarted');
    // sticky decides who accepts the connections (the holder or node:cluster): a new holder.
    const sticky = sampleSpec({ execMode: 'cluster', instances: 2, sticky: true });
    assert.equal(applyStep(running(), sticky, 'reload'), 'restarted');
    assert.equal(applyStep(running(sticky), cluster, 'reload'), 'restarted');
    assert.equal(
      applyStep(running(sticky), sampleSpec({ execMode: 'cluster', instances: 2, sticky: true, env: { V: '2' } }), 'reload'),
      'reloaded',
    );
  });

  it('reload restarts a cluster or socket-activated app whose user or group changed: its holder runs as the old one', () => {
    const as = (uid: number, gid: number) => ({ runAs: { uid, gid, user: `u${uid}` } });
    const clusterAs = (uid: number, gid: number) => sampleSpec({ execMode: 'cluster', instances: 2, ...as(uid, gid) });
    assert.equal(applyStep(running(clusterAs(1001, 100)), clusterAs(1001, 100), 'reload'), 'reloaded');
    assert.equal(applyStep(running(), clusterAs(1001, 100), 'reload'), 'restarted');
    assert.equal(applyStep(running(clusterAs(1001, 100)), cluster, 'reload'), 'restarted');
    assert.equal(applyStep(running(clusterAs(1001, 100)), clusterAs(1002, 100), 'reload'), 'restarted');
    assert.equal(applyStep(running(clusterAs(1001, 100)), clusterAs(1001, 101), 'reload'), 'restarted');
    assert.equal(applyStep(running(sockets), sampleSpec({ listen: ['8080'], instances: 2, ...as(1001, 100) }), 'reload'), 'restarted');
  });
});
