import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, httpGet, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

describe('restart policy against real processes', () => {
  let t: TendHome;
  before(() => { t = new TendHome(); });
  after(async () => { await t.cleanup(); });

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
    // It stays errored: no further restarts happen.
    const later = await t.app('loop');
    assert.equal(later.restarts, 2);
  });

  it('does not restart on a stop exit code, nor with --no-autorestart', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'done', '--env', 'CRASH_CODE=7', '--stop-exit-codes', '0,7']);
    const done = await waitFor(async () => ((await t.app('done')).status === 'stopped' ? t.app('done') : undefined), 'stopped by exit code');
    assert.equal(done.restarts, 0);
    assert.equal(done.lastExit?.code, 7);
    await t.json(['start', fixture('crash-after.js'), '--name', 'once', '--no-autorestart']);
    const once = await waitFor(async () => ((await t.app('once')).status === 'stopped' ? t.app('once') : undefined), 'stopped without restart');
    assert.equal(once.restarts, 0);
  });

  it('waits restart-delay before restarting (waiting-restart in between)', async () => {
    await t.json(['start', fixture('crash-after.js'), '--name', 'delayed', '--restart-delay', '1.5s', '--env', 'CRASH_AFTER_MS=100']);
    const waiting = await waitFor(async () => ((await t.app('delayed')).status === 'waiting-restart' ? true : undefined), 'waiting-restart');
    assert.ok(waiting);
    const app = await waitFor(async () => {
      const a = await t.app('delayed');
      return a.restarts >= 1 ? a : undefined;
    }, 'the delayed restart');
    assert.ok(app.restarts >= 1);
    await t.json(['stop', 'delayed']);
  });

  it('--wait-ready keeps the app launching until it says ready, or listen-timeout passes', async () => {
    const started = Date.now();
    const [p] = await t.json<ProcessJson[]>(['start', fixture('ready-after.js'), '--name', 'ready', '--wait-ready', '--env', 'READY_AFTER_MS=700']);
    assert.equal(p?.status, 'online');
    assert.ok(Date.now() - started >= 650, 'start returned before the app was ready');
    const [q] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'never-ready', '--wait-ready', '--listen-timeout', '800']);
    assert.equal(q?.status, 'online');
  });

  it('applies exponential backoff to a crash loop', async () => {
    const started = Date.now();
    await t.json(['start', fixture('crash-after.js'), '--name', 'backoff', '--exp-backoff-restart-delay', '200', '--max-restarts', '100']);
    const a = await waitFor(async () => {
      const app = await t.app('backoff');
      return app.restarts >= 4 ? app : undefined;
    }, 'four restarts');
    // Immediate, then 200, 400, 800 ms: at least ~1.4 s for 4 restarts, unlike an unthrottled loop.
    assert.ok(Date.now() - started >= 1300, `4 restarts took only ${Date.now() - started} ms`);
    assert.ok(a.restarts <= 6, `restarted too fast: ${a.restarts}`);
    const [stopped] = await t.json<ProcessJson[]>(['stop', 'backoff']);
    assert.equal(stopped?.status, 'stopped');
    if (a.pid !== null) assert.equal(isAlive(a.pid), false);
  });
});
