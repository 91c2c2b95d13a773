import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

type Info = ProcessJson & { startedAt: number | null };

describe('one-shot tasks and depends_on completed', () => {
  let t: TendHome;
  const file = (name: string, apps: unknown[]): string => {
    const path = join(t.home, name);
    writeFileSync(path, JSON.stringify({ apps }));
    return path;
  };
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('web starts only after migrate exited 0; the task is never restarted', async () => {
    const ran = join(t.home, 'ran.txt');
    const f = file('ok.config.json', [
      { name: 'web', script: fixture('forever.js'), depends_on: { migrate: 'completed' } },
      { name: 'migrate', script: fixture('task.js'), task: true, env: { TASK_MS: '1200', TASK_FILE: ran } },
    ]);
    const r = await t.run(['start', f]);
    assert.equal(r.code, 0, r.stderr);
    const web = await waitFor(
      async () => {
        const w = (await t.app('web')) as Info;
        return w.status === 'online' ? w : undefined;
      },
      'web online',
      30_000,
    );
    const migrate = await t.app('migrate');
    assert.equal(migrate.status, 'stopped');
    assert.equal(migrate.reason, 'completed (exit code 0)');
    assert.equal(migrate.lastExit?.code, 0);
    assert.equal(migrate.restarts, 0);
    assert.ok((web.startedAt ?? 0) >= (migrate.lastExit?.at ?? Infinity), 'web started after migrate exited');
    assert.equal(readFileSync(ran, 'utf8').split('\n').filter(Boolean).length, 1, 'ran once');
    assert.match((await t.run(['list'])).stdout, /migrate\s+default\s+stopped/);
  });

  it('resurrect while the saved apps are here does not run a completed task again', async () => {
    const ran = join(t.home, 'ran.txt');
    assert.equal((await t.run(['save'])).code, 0);
    for (let k = 0; k < 2; k++) {
      const r = await t.json<{ apps: ProcessJson[]; notices: string[] }>(['resurrect']);
      assert.deepEqual(r.apps, []);
      assert.deepEqual(r.notices.sort(), [
        'migrate already completed; left as it is (`tend restart migrate` runs it again)',
        'web is already running; left as it is',
      ]);
    }
    const migrate = await t.app('migrate');
    assert.equal(migrate.status, 'stopped');
    assert.equal(readFileSync(ran, 'utf8').split('\n').filter(Boolean).length, 1, 'ran once');
  });

  it('a failed task is errored, not retried, and stops what waits for it with the reason', async () => {
    const f = file('bad.config.json', [
      { name: 'migrate2', script: fixture('task.js'), task: true, env: { TASK_CODE: '3', TASK_MS: '300' } },
      { name: 'web2', script: fixture('forever.js'), depends_on: { migrate2: 'completed' } },
    ]);
    await t.run(['start', f]);
    const web2 = await waitFor(
      async () => {
        const w = await t.app('web2');
        return w.status === 'stopped' ? w : undefined;
      },
      'web2 stopped',
      30_000,
    );
    assert.equal(web2.reason, 'not started: migrate2 did not complete (task failed: exited with code 3)');
    assert.equal(web2.pid, null);
    const m = await t.app('migrate2');
    assert.equal(m.status, 'errored');
    assert.equal(m.restarts, 0);
    assert.match((await t.run(['describe', 'web2'])).stdout, /migrate2 did not complete/);
  });

  it('`tend run` exits 1 when an init task fails, stopping the app that was running', async () => {
    const f = file('run.config.json', [
      { name: 'side', script: fixture('forever.js') },
      { name: 'init', script: fixture('task.js'), task: true, env: { TASK_CODE: '2', TASK_MS: '1500' } },
      { name: 'app', script: fixture('forever.js'), depends_on: { init: 'completed' } },
    ]);
    let out = '';
    const child = spawn(process.execPath, [BIN, 'run', f], {
      cwd: ROOT,
      env: { ...t.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) t.track(child.pid);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, out);
    assert.match(out, /init errored: task failed: exited with code 2/);
    assert.match(out, /task init failed: stopping/);
    assert.equal(child.pid !== undefined && isAlive(child.pid), false);
  });

  it('refuses an unknown condition and a cluster task', async () => {
    const bad = await t.run([
      'start',
      file('cond.config.json', [
        { name: 'a', script: fixture('forever.js'), depends_on: { b: 'finished' } },
        { name: 'b', script: fixture('forever.js') },
      ]),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /completed/);
    const cl = await t.run(['start', fixture('cluster-server.js'), '--name', 'ct', '-i', '2', '--task']);
    assert.equal(cl.code, 2);
    assert.match(cl.stderr, /task.*cannot be a cluster/);
  });
});
