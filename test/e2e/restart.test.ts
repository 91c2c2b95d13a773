import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, httpGet, waitFor, type ProcessJson } from '../helpers/tend.js';

describe('restart policy against real processes', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('restarts a crashed app with a new pid and counts the restart', async () => {
    const port = await freePort();
    const [p] = await t.json<ProcessJson[]>(['start', fixture('http-server.js'), '--name', 'crashy', '--env', `PORT=${port}`]);
    await waitFor(() => httpGet(port), 'first answer');
    process.kill(p?.pid as number, 'SIGKILL');
    const next = await waitFor(async () => {
      const a = await t.app('crashy');
      return a.pid !== null && a.pid !== p?.pid && a.status === 'online' ? a : undefined;
    }, 'a new pid');
    assert.equal(next.restarts, 1);
    assert.equal(next.lastExit?.signal, 'SIGKILL');
    assert.ok(await waitFor(() => httpGet(port), 'the restarted app to answer'));
  });

  it('marks a crash loop errored after max-restarts, with bounded restarts', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'loop', '--max-restarts', '3', '--min-uptime', '5s']);
    const app = await waitFor(async () => {
      const a = await t.app('loop');
      return a.status === 'errored' ? a : undefined;
    }, 'errored');
    // PM2's count: max_restarts 3 means 3 runs in all, so 2 restarts.
    assert.equal(app.restarts, 2);
    assert.equal(app.pid, null);
    assert.match(app.reason ?? '', /giving up/);
    // It stays errored: no further restart within a window longer than any delay the policy
    // could choose here (the restart floor caps at 1 s). Absence can only be shown over time.
    await new Promise((r) => setTimeout(r, 1500));
    const later = await t.app('loop');
    assert.equal(later.status, 'errored');
    assert.equal(later.restarts, 2);
    assert.equal(later.pid, null);
  });

  it('does not restart on a stop exit code, nor with --no-autorestart', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'done', '--env', 'CRASH_CODE=7', '--stop-exit-codes', '0,7']);
    const done = await waitFor(
      async () => ((await t.app('done')).status === 'stopped' ? t.app('done') : undefined),
      'stopped by exit code',
    );
    assert.equal(done.restarts, 0);
    assert.equal(done.lastExit?.code, 7);
    await t.json(['start', fixture('crash-after.js'), '--name', 'once', '--no-autorestart']);
    const once = await waitFor(
      async () => ((await t.app('once')).status === 'stopped' ? t.app('once') : undefined),
      'stopped without restart',
    );
    assert.equal(once.restarts, 0);
  });

  it('waits restart-delay before restarting (waiting-restart in between)', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'delayed', '--restart-delay', '1.5s', '--env', 'CRASH_AFTER_MS=100']);
    const waiting = await waitFor(
      async () => ((await t.app('delayed')).status === 'waiting-restart' ? true : undefined),
      'waiting-restart',
    );
    assert.ok(waiting);
    // Measured: the run after a crash starts restart-delay after that crash, not sooner.
    const app = await waitFor(async () => {
      const a = await t.app('delayed');
      return a.restarts >= 1 && a.status === 'online' && a.startedAt !== null && a.lastExit !== null ? a : undefined;
    }, 'the delayed restart');
    const waitedMs = (app.startedAt as number) - (app.lastExit?.at as number);
    assert.ok(waitedMs >= 1500, `restarted ${waitedMs} ms after the crash, before the 1.5 s delay`);
    await t.json(['stop', 'delayed']);
  });

  it('waiting-restart says when: nextRestartAt in list --json and status.json, a next restart line in describe', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'later', '--restart-delay', '10m']);
    const app = await waitFor(async () => {
      const a = await t.app('later');
      return a.status === 'waiting-restart' ? a : undefined;
    }, 'waiting-restart');
    const due = (app.lastExit?.at as number) + 600_000;
    assert.ok(
      app.nextRestartAt !== null && Math.abs(app.nextRestartAt - due) < 2000,
      `nextRestartAt ${app.nextRestartAt}, crash + 10m ${due}`,
    );
    const d = (await t.run(['describe', 'later'])).stdout;
    assert.match(d, new RegExp(`^next restart\\s+${new Date(app.nextRestartAt).toISOString()}`, 'm'));
    const status = JSON.parse(readFileSync(join(t.home, 'status.json'), 'utf8')) as {
      apps: Array<{ name: string; nextRestartAt: number | null }>;
    };
    assert.equal(status.apps.find((a) => a.name === 'later')?.nextRestartAt, app.nextRestartAt);
    await t.json(['stop', 'later']);
    assert.equal((await t.app('later')).nextRestartAt, null, 'a stopped app has no restart to come');
  });

  it('a crashing cluster instance says how it ended, why, and when it restarts (its holder reports it)', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'cwait', '-i', '2', '--restart-delay', '10m']);
    await t.json(['start', fixture('crash-after.js'), '--name', 'cgive', '-i', '1', '--max-restarts', '1']);
    const rows = await waitFor(async () => {
      const all = (await t.list()).filter((p) => p.name === 'cwait' || p.name === 'cgive');
      return all.length === 3 && all.every((p) => p.status === 'waiting-restart' || p.status === 'errored') ? all : undefined;
    }, 'every instance crashed');
    for (const r of rows.filter((p) => p.name === 'cwait')) {
      assert.equal(r.status, 'waiting-restart');
      assert.equal(r.lastExit?.code, 1, `instance ${r.id}: its exit`);
      assert.equal(r.reason, 'exited with code 1');
      const due = (r.lastExit?.at as number) + 600_000;
      assert.ok(r.nextRestartAt !== null && Math.abs(r.nextRestartAt - due) < 2000, `nextRestartAt ${r.nextRestartAt}, exit + 10m ${due}`);
    }
    const given = rows.find((p) => p.name === 'cgive');
    assert.equal(given?.status, 'errored');
    assert.match(given?.reason ?? '', /^exited with code 1; .*giving up$/);
    assert.match((await t.run(['describe', 'cgive'])).stdout, /^last exit\s+code 1 at /m);
    await t.json(['delete', 'cwait']);
    await t.json(['delete', 'cgive']);
  });

  it('--wait-ready: online when the app says ready, long before listen-timeout', async () => {
    const started = Date.now();
    // With a 120 s listen-timeout, only the `ready` message can bring the app online before the
    // CLI call's own 30 s limit: an ignored `ready` fails this test.
    const [p] = await t.json<ProcessJson[]>([
      'start',
      fixture('ready-after.js'),
      '--name',
      'ready',
      '--wait-ready',
      '--listen-timeout',
      '120s',
      '--env',
      'READY_AFTER_MS=700',
    ]);
    assert.equal(p?.status, 'online');
    assert.ok(Date.now() - started >= 700, 'start returned before the app was ready');
  });

  it('--wait-ready: an app that never says ready goes online when listen-timeout passes, not before', async () => {
    const started = Date.now();
    const [q] = await t.json<ProcessJson[]>([
      'start',
      fixture('forever.js'),
      '--name',
      'never-ready',
      '--wait-ready',
      '--listen-timeout',
      '1500',
    ]);
    assert.equal(q?.status, 'online');
    assert.ok(Date.now() - started >= 1500, `online after ${Date.now() - started} ms, before the 1.5 s listen-timeout`);
  });

  it('applies exponential backoff to a crash loop; a stop while it waits cancels the restart', async () => {
    const started = Date.now();
    await t.json(['start', fixture('crash-after.js'), '--name', 'backoff', '--exp-backoff-restart-delay', '200', '--max-restarts', '100']);
    const a = await waitFor(async () => {
      const app = await t.app('backoff');
      return app.restarts >= 4 && app.status === 'waiting-restart' ? app : undefined;
    }, 'four restarts, then a wait');
    // Immediate, then 200, 400, 800 ms: at least ~1.4 s for 4 restarts, unlike an unthrottled loop.
    assert.ok(Date.now() - started >= 1300, `4 restarts took only ${Date.now() - started} ms`);
    assert.ok(a.restarts <= 6, `restarted too fast: ${a.restarts}`);
    // The app is between runs (its process already exited): the stop must cancel the pending
    // restart, which is due within 3.2 s at most (the 5th backoff step).
    const [stopped] = await t.json<ProcessJson[]>(['stop', 'backoff']);
    assert.equal(stopped?.status, 'stopped');
    assert.equal(stopped?.pid, null);
    await new Promise((r) => setTimeout(r, 3500));
    const later = await t.app('backoff');
    assert.equal(later.status, 'stopped');
    assert.equal(later.restarts, stopped?.restarts);
  });
});
