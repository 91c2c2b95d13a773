import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { join } from 'node:path';
import { ROOT, TendHome, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { commandMissing, needs } from '../helpers/needs.js';
import { getFresh, startLoad } from '../helpers/load-loop.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}

const req = needs(commandMissing('python3', ['-c', 'import socket']));

describe('socket activation (any language): a Python app on fd 3', () => {
  const t = new TendHome();
  const app = join(ROOT, 'examples', 'python-socket', 'app.py');
  let port = 0;
  const rows = async (): Promise<Row[]> => ((await t.list()) as Row[]).filter((p) => p.name === 'py');

  req.before(async () => {
    port = await freePort();
  });
  req.after(() => t.cleanup());

  req.it('starts with LISTEN_FDS and becomes online on READY=1 (NOTIFY_SOCKET, --wait-ready)', async () => {
    const started = await t.json<Row[]>([
      'start',
      app,
      '--name',
      'py',
      '-i',
      '2',
      '--listen',
      `127.0.0.1:${port}`,
      '--wait-ready',
      '--listen-timeout',
      '10s',
    ]);
    assert.equal(started.length, 2);
    const list = await rows();
    assert.ok(
      list.every((r) => r.status === 'online' && typeof r.pid === 'number'),
      JSON.stringify(list),
    );
    for (const r of list) t.remember(r);
    t.track(list[0]?.holderPid as number);
    assert.match((await getFresh(port)) ?? '', /^hello from python, pid \d+/);
  });

  req.it('reloads under load with 0 failed requests, and a kill -9 of one process refuses no connection', async () => {
    const before = await rows();
    const load = startLoad(port, 4);
    try {
      await waitFor(() => load.snapshot().ok > 50, 'load to flow');
      for (let i = 0; i < 2; i++) {
        const r = await t.run(['reload', 'py']);
        assert.equal(r.code, 0, r.stderr);
      }
      const reloaded = await rows();
      for (const r of reloaded) {
        assert.ok(!before.some((b) => b.pid === r.pid), 'every process was replaced');
        t.remember(r);
      }
      const victim = reloaded[0]?.pid as number;
      process.kill(victim, 'SIGKILL');
      await waitFor(
        async () => (await rows())[0]?.pid !== victim && (await rows())[0]?.status === 'online',
        'the killed process to be replaced',
      );
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 50, 'load to flow after the kill');
    } finally {
      const result = await load.stop();
      // Reloads: nothing fails. The kill -9: only a request the killed process had accepted may
      // fail (a reset); the socket stays open in the holder, so no connection is refused.
      assert.equal(result.errors.ECONNREFUSED ?? 0, 0, JSON.stringify(result.errors));
      assert.ok(result.failed <= 4, `failed requests: ${JSON.stringify(result.errors)}`);
    }
    for (const r of await rows()) t.remember(r);
  });

  req.it('keeps the socket open across a daemon kill -9', async () => {
    const daemon = t.daemonPid() as number;
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    assert.match((await getFresh(port)) ?? '', /^hello from python/);
    const r = await t.run(['reload', 'py']);
    assert.equal(r.code, 0, r.stderr);
    assert.match((await getFresh(port)) ?? '', /^hello from python/);
    for (const row of await rows()) t.remember(row);
  });
});
