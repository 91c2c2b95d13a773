import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { getFresh, startLoad } from '../helpers/load-loop.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}

describe('cluster mode', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-cluster-'));
  const versionFile = join(dir, 'version');
  let port = 0;
  const rows = async (name: string): Promise<Row[]> => (await t.list() as Row[]).filter((p) => p.name === name);

  before(async () => {
    port = await freePort();
    writeFileSync(versionFile, 'v1');
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts -i 2: one row per instance, each with its id, pid and NODE_APP_INSTANCE; the port is shared', async () => {
    const started = await t.json<Row[]>(['start', fixture('cluster-server.js'), '--name', 'web', '-i', '2', '--env', `PORT=${port}`, '--env', `VERSION_FILE=${versionFile}`]);
    assert.equal(started.length, 2);
    const list = await rows('web');
    assert.deepEqual(list.map((r) => r.instance), [0, 1]);
    assert.ok(list.every((r) => r.status === 'online' && typeof r.pid === 'number'));
    assert.notEqual(list[0]?.id, list[1]?.id);
    assert.equal(list[0]?.holderPid, list[1]?.holderPid);
    for (const r of list) t.remember(r);
    t.track(list[0]?.holderPid as number);
    // Round-robin: both instances answer on the one port.
    const seen = new Set<string>();
    await waitFor(async () => {
      seen.add(((await getFresh(port)) ?? '').split(' ')[1] ?? '');
      return seen.has('0') && seen.has('1');
    }, 'both instances to answer');
  });

  it('reloads under a keep-alive load loop with 0 failed requests, every process replaced', async () => {
    const before = await rows('web');
    const load = startLoad(port);
    await waitFor(() => load.snapshot().ok > 200, 'load to flow');
    writeFileSync(versionFile, 'v2');
    for (let i = 0; i < 2; i++) {
      const r = await t.run(['reload', 'web']);
      assert.equal(r.code, 0, r.stderr);
    }
    const mid = load.snapshot().ok;
    await waitFor(() => load.snapshot().ok > mid + 200, 'load to flow after the reloads');
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    assert.ok([...result.bodies.keys()].some((b) => b.startsWith('v2 ')), 'the new version answered');
    const afterRows = await rows('web');
    assert.deepEqual(afterRows.map((r) => r.id), before.map((r) => r.id), 'ids are kept');
    for (const r of afterRows) assert.ok(!before.some((b) => b.pid === r.pid), 'every process was replaced');
    for (const b of before) await waitFor(() => !isAlive(b.pid as number), `old worker ${b.pid} to exit`);
  });
});
