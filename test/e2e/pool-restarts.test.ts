import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}

/**
 * A cluster or `--listen` app's instances are counted by its holder (reloads, crash restarts,
 * `restart <instance id>`); a restart of the app starts a new holder, which counts from zero.
 * The list must still only go up: `restart` adds one to what each instance showed (README), and
 * neither a holder killed while no daemon runs nor a daemon restart loses what was counted.
 */
describe('restart counters of pooled apps', () => {
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
  });
  const rows = async (name: string): Promise<Row[]> => ((await t.list()) as Row[]).filter((p) => p.name === name);
  const counts = async (name: string): Promise<number[]> => (await rows(name)).map((r) => r.restarts);
  const online = (name: string, n: number) =>
    waitFor(async () => {
      const r = await rows(name);
      return r.length === n && r.every((x) => x.status === 'online' && x.pid !== null) ? r : undefined;
    }, `${name}: ${n} instance(s) online`);

  it('restart adds one to what each instance counted; a daemon restart and a holder killed meanwhile keep the counts; reset zeroes them', async () => {
    const port = await freePort();
    await t.json(['start', fixture('cluster-server.js'), '--name', 'web', '-i', '2', '--env', `PORT=${port}`]);
    await online('web', 2);
    for (let k = 0; k < 2; k++) assert.equal((await t.run(['reload', 'web'])).code, 0);
    const second = (await rows('web'))[1] as Row;
    assert.equal((await t.run(['restart', String(second.id)])).code, 0);
    assert.deepEqual(await counts('web'), [2, 3], 'two reloads, and one restart of the second instance');

    assert.equal((await t.run(['restart', 'web'])).code, 0);
    await online('web', 2);
    assert.deepEqual(await counts('web'), [3, 4], 'a restart of the app adds one to each');

    // The holder dies while no daemon runs: the next daemon starts a new one, counting on.
    assert.equal((await t.run(['reload', 'web'])).code, 0);
    const holder = (await rows('web'))[0]?.holderPid as number;
    assert.equal((await t.run(['daemon', 'stop'])).code, 0);
    process.kill(holder, 'SIGKILL');
    await waitFor(() => !isAlive(holder), 'the holder to die');
    const back = await online('web', 2);
    t.remember(back);
    assert.ok(back[0]?.holderPid !== holder);
    const afterKill = back.map((r) => r.restarts);
    assert.deepEqual(afterKill, [5, 6], 'the holder that died while no daemon ran is restarted: one more each');

    assert.equal((await t.run(['daemon', 'restart'])).code, 0);
    assert.deepEqual(await counts('web'), afterKill, 'a daemon restart keeps the counts');

    assert.equal((await t.run(['reset', 'web'])).code, 0);
    assert.deepEqual(await counts('web'), [0, 0]);
    assert.equal((await t.run(['restart', 'web'])).code, 0);
    await online('web', 2);
    assert.deepEqual(await counts('web'), [1, 1], 'reset forgot the counts of the holders before');
  });

  it('a --listen app: restart after reloads goes up by one', async () => {
    const port = await freePort();
    await t.json(['start', '--name', 'held', '--listen', `127.0.0.1:${port}`, '--', process.execPath, fixture('forever.js')]);
    await online('held', 1);
    for (let k = 0; k < 2; k++) assert.equal((await t.run(['reload', 'held'])).code, 0);
    assert.deepEqual(await counts('held'), [2]);
    assert.equal((await t.run(['restart', 'held'])).code, 0);
    await online('held', 1);
    assert.deepEqual(await counts('held'), [3]);
  });
});
