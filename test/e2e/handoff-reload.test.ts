import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getFresh, startLoad } from '../helpers/load-loop.js';
import { TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Detail {
  lastReload?: { at: number; ok: boolean; reason: string | null } | null;
}

/**
 * The socket handoff of a one-process Node app with `--wait-ready` (issue 18 item 1): the new
 * process must listen and say ready before the old one leaves; one that never says ready is
 * stopped after listen_timeout and the old one keeps serving, with no failed request either way.
 */
describe('handoff reload of a one-process app with --wait-ready', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-handoff-'));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a version that never says ready rolls back (exit 1, describe says why); a good one takes over; 0 failed requests', async () => {
    const port = await freePort();
    const versionFile = join(dir, 'version');
    writeFileSync(versionFile, 'v1');
    const [first] = await t.json<ProcessJson[]>([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'api',
      '--wait-ready',
      '--listen-timeout',
      '2000',
      '--env',
      `PORT=${port}`,
      '--env',
      `VERSION_FILE=${versionFile}`,
    ]);
    t.remember(first);
    await waitFor(async () => (await getFresh(port))?.startsWith('v1 '), 'v1 to answer');
    const load = startLoad(port, 8);
    try {
      await waitFor(() => load.snapshot().ok > 100, 'load to flow');
      writeFileSync(versionFile, 'never-ready');
      const bad = await t.run(['reload', 'api']);
      assert.equal(bad.code, 1, `${bad.stdout}${bad.stderr}`);
      assert.match(bad.stderr, /did not send ready within listen_timeout \(2000 ms\); the old process keeps serving/);
      const [detail] = await t.json<Detail[]>(['describe', 'api', '--json']);
      assert.equal(detail?.lastReload?.ok, false);
      assert.equal((await t.app('api')).pid, first?.pid, 'the old process is still the app');
      writeFileSync(versionFile, 'v2');
      const good = await t.run(['reload', 'api']);
      assert.equal(good.code, 0, good.stderr);
      const now = await t.app('api');
      t.remember(now);
      assert.notEqual(now.pid, first?.pid);
      assert.equal(now.restarts, 1);
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 100, 'load to flow after the reload');
    } finally {
      const res = await load.stop();
      assert.equal(res.failed, 0, JSON.stringify(res.errors));
    }
    assert.match((await getFresh(port)) ?? '', /^v2 /);
    await waitFor(() => !isAlive(first?.pid as number), 'the old process to be stopped once drained', 15_000);
  });

  it("the last reload survives a daemon kill -9 and a daemon restart (kept in state.json, as a cluster app's)", async () => {
    const port = await freePort();
    const [app] = await t.json<ProcessJson[]>([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'kept',
      '--wait-ready',
      '--env',
      `PORT=${port}`,
    ]);
    t.remember(app);
    await waitFor(async () => (await getFresh(port)) !== undefined, 'the app to answer');
    const reload = await t.run(['reload', 'kept']);
    assert.equal(reload.code, 0, reload.stderr);
    t.remember(await t.app('kept'));
    const [before] = await t.json<Detail[]>(['describe', 'kept', '--json']);
    assert.equal(before?.lastReload?.ok, true);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    assert.equal((await t.app('kept')).adopted, true);
    const [afterKill] = await t.json<Detail[]>(['describe', 'kept', '--json']);
    assert.deepEqual(afterKill?.lastReload, before?.lastReload, 'after a kill -9 of the daemon');
    const restarted = await t.run(['daemon', 'restart']);
    assert.equal(restarted.code, 0, restarted.stderr);
    const [afterRestart] = await t.json<Detail[]>(['describe', 'kept', '--json']);
    assert.deepEqual(afterRestart?.lastReload, before?.lastReload, 'after tend daemon restart');
  });
});
