import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}
interface Detail extends Row {
  spec: { instances: number | string };
  memoryBytes: number | null;
  holder?: { memoryBytes: number | null; app: { memoryBytes: number | null } };
}

/** The list rows of one app, its holder's pid tracked for the clean-up. */
async function rowsOf(t: TendHome, name: string): Promise<Row[]> {
  const all = ((await t.list()) as Row[]).filter((r) => r.name === name);
  for (const r of all) if (typeof r.holderPid === 'number') t.track(r.holderPid);
  return all;
}

/**
 * PM2's pm_id: a numeric id always names that one process, the first instance's id included
 * (`pm2 stop 0` stops process 0 alone); the app's name names the whole app. `delete <id>` removes
 * one process of a cluster app (the others keep their ids), `send <id>` reaches its stdin alone.
 */
describe('instance ids: every id is one process, as in PM2', () => {
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
  });
  const rows = (): Promise<Row[]> => rowsOf(t, 'w');
  const online = (label: string, count: number): Promise<Row[]> =>
    waitFor(
      async () => {
        const now = await rows();
        return now.length === count && now.every((r) => r.status === 'online' && r.pid !== null) ? now : null;
      },
      label,
      30_000,
    );
  const pidsOf = (list: Row[]): Array<[number, number | null]> => list.map((r) => [r.id, r.pid]);
  const logsHave = (text: string): Promise<string> =>
    waitFor(
      async () => {
        const r = await t.run(['logs', 'w', '--lines', '100', '--nostream']);
        return r.stdout.includes(text) ? r.stdout : null;
      },
      `"${text}" in the logs`,
      15_000,
    );

  it('stop, start, restart, describe and signal of the first instance id act on that instance alone', async () => {
    const started = await t.run(['start', fixture('stdin-instance.js'), '--name', 'w', '-i', '3', '--wait-ready']);
    assert.equal(started.code, 0, started.stderr);
    const before = await online('three instances online', 3);
    assert.deepEqual(
      before.map((r) => r.id),
      [0, 1, 2],
    );
    const stopped = await t.json<Row[]>(['stop', '0']);
    assert.deepEqual(
      stopped.map((r) => [r.id, r.status]),
      [[0, 'stopped']],
    );
    const mid = await rows();
    assert.deepEqual(
      mid.map((r) => r.status),
      ['stopped', 'online', 'online'],
      '`stop 0` stops process 0, not the app',
    );
    assert.deepEqual(pidsOf(mid).slice(1), pidsOf(before).slice(1));
    await waitFor(() => !isAlive(before[0]?.pid as number), 'process 0 to exit');
    await t.json(['start', '0']);
    const back = await online('process 0 online again', 3);
    assert.deepEqual(pidsOf(back).slice(1), pidsOf(before).slice(1), 'the others untouched');
    const [restarted] = await t.json<Row[]>(['restart', '0']);
    assert.equal(restarted?.id, 0);
    assert.notEqual(restarted?.pid, back[0]?.pid);
    const afterRestart = await online('online after restart 0', 3);
    assert.deepEqual(pidsOf(afterRestart).slice(1), pidsOf(before).slice(1), '`restart 0` restarts process 0 alone');
    const described = await t.json<Detail[]>(['describe', '0']);
    assert.deepEqual(
      described.map((d) => [d.id, d.instance, d.pid]),
      [[0, 0, afterRestart[0]?.pid]],
    );
    const signalled = await t.json<Row[]>(['signal', 'SIGWINCH', '0']);
    assert.deepEqual(
      signalled.map((r) => r.id),
      [0],
    );
    // The name is the whole app.
    assert.equal((await t.json<Detail[]>(['describe', 'w'])).length, 3);
    // An app stopped as a whole: `start 0` starts process 0 alone, `start <app>` the rest.
    assert.equal((await t.run(['stop', 'w'])).code, 0);
    await t.json(['start', '0']);
    const alone = await rows();
    assert.deepEqual(
      alone.map((r) => [r.id, r.status]),
      [
        [0, 'online'],
        [1, 'stopped'],
        [2, 'stopped'],
      ],
    );
    assert.equal((await t.run(['start', 'w'])).code, 0);
    const counted = await online('all three online again', 3);
    // --update-env restarts the app once (not once per instance record); the answer has a row
    // per instance, as a plain restart's has.
    const updated = await t.json<Row[]>(['restart', 'w', '--update-env']);
    assert.deepEqual(
      updated.map((r) => r.id),
      [0, 1, 2],
    );
    const after = await online('online after --update-env', 3);
    assert.deepEqual(
      after.map((r) => r.restarts),
      counted.map((r) => r.restarts + 1),
    );
  });

  it('send <instance id> reaches that process alone; send <app> reaches each', async () => {
    const one = await t.run(['send', '1', 'only-one']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /to 1 process/);
    const logs = await logsHave('1 got: only-one');
    assert.doesNotMatch(logs, /[02] got: only-one/);
    const each = await t.run(['send', 'w', 'to-each']);
    assert.equal(each.code, 0, each.stderr);
    assert.match(each.stdout, /to 3 process/);
    for (const k of [0, 1, 2]) await logsHave(`${k} got: to-each`);
  });

  it('delete <instance id> removes that process; the others keep ids and pids; the count goes down and stays down', async () => {
    const before = await online('three online', 3);
    const deleted = await t.run(['delete', '1']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /deleted: w \(1\)/);
    const left = await rows();
    assert.deepEqual(
      pidsOf(left),
      [before[0], before[2]].map((r) => [r?.id, r?.pid]),
    );
    await waitFor(() => !isAlive(before[1]?.pid as number), 'the deleted process to exit');
    const [detail] = await t.json<Detail[]>(['describe', 'w']);
    assert.equal(detail?.spec.instances, 2);
    // The id is gone: it names nothing now.
    assert.equal((await t.run(['stop', '1'])).code, 1);
    // A new daemon adopts the same two processes under the same ids.
    const restarted = await t.run(['daemon', 'restart']);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.deepEqual(pidsOf(await online('two online after daemon restart', 2)), pidsOf(left));
    // A stopped app started for one instance id answers with that instance's row, although its
    // new holder numbers the instances anew (id 2 is its instance 1 now, instance 2 before);
    // `start <app>` then starts the other one.
    assert.equal((await t.run(['stop', 'w'])).code, 0);
    const started = await t.json<Row[]>(['start', '2']);
    assert.deepEqual(
      started.map((r) => [r.id, r.status]),
      [[2, 'online']],
    );
    assert.equal((await t.run(['start', 'w'])).code, 0);
    await online('both online again', 2);
    // save, kill and resurrect: the same ids, the same count.
    const saved = await t.run(['save']);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /2 processes/);
    assert.equal((await t.run(['kill'])).code, 0);
    const resurrected = await t.run(['resurrect']);
    assert.equal(resurrected.code, 0, resurrected.stderr);
    assert.match(resurrected.stdout, /2 processes/);
    const again = await online('two online after resurrect', 2);
    assert.deepEqual(
      again.map((r) => r.id),
      [0, 2],
    );
    // The first instance too; its app's last process goes with the app.
    assert.equal((await t.run(['delete', '0'])).code, 0);
    assert.deepEqual(
      (await rows()).map((r) => r.id),
      [2],
    );
    assert.equal((await t.run(['delete', '2'])).code, 0);
    assert.deepEqual(await rows(), []);
  });
});

describe("instance ids: PM2's all.json while reloading, and after its first cluster instance is deleted", () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-all-ids-'));
  const file = join(dir, 'all.json');
  const all = async (): Promise<Row[]> => {
    const rows = (await t.list()) as Row[];
    for (const r of rows) {
      t.remember(r);
      if (typeof r.holderPid === 'number') t.track(r.holderPid);
    }
    return rows;
  };
  before(() => cpSync(join(ROOT, 'test', 'fixtures', 'configs', 'pm2-all'), dir, { recursive: true }));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloading: 6 rows with the same ids all along, every pid its own process', async () => {
    assert.equal((await t.run(['start', file])).code, 0);
    const before = await waitFor(
      async () => {
        const rows = await all();
        return rows.length === 6 && rows.every((r) => r.status === 'online') ? rows : null;
      },
      'every row online',
      30_000,
    );
    let done = false;
    const reloading = t.run(['reload', file], { timeoutMs: 120_000 }).finally(() => {
      done = true;
    });
    const seen: Row[][] = [];
    while (!done) seen.push(await all());
    const r = await reloading;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(seen.length > 3, `list polled ${seen.length} times during the reload`);
    for (const rows of seen) {
      assert.deepEqual(
        rows.map((x) => x.id),
        [0, 1, 2, 3, 4, 5],
      );
      for (const x of rows) assert.ok(x.pid === null || x.pid !== x.holderPid, `row ${x.id}: the holder's pid`);
    }
    const after = await all();
    const child = (rows: Row[]): Array<number | null> => rows.filter((x) => x.name === 'child').map((x) => x.pid);
    for (const pid of child(before)) assert.ok(!child(after).includes(pid), 'every child worker was replaced');
  });

  it("delete of the first instance's id: the holder's figures move to the app's first row; instances plus holder make the total", async () => {
    const deleted = await t.run(['delete', '1']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(
      (await all()).map((x) => x.id),
      [0, 2, 3, 4, 5],
    );
    // One describe answers from one sample: once a sample is taken after the deleted worker's
    // exit, the instances and the holder add up to the app's total.
    const adds = (d: Detail[]): boolean =>
      d.every((x) => x.memoryBytes !== null) &&
      typeof d[0]?.holder?.memoryBytes === 'number' &&
      d.reduce((n, x) => n + (x.memoryBytes as number), 0) + d[0].holder.memoryBytes === d[0].holder.app.memoryBytes;
    const details = await waitFor(
      async () => {
        const d = await t.json<Detail[]>(['describe', 'child']);
        return adds(d) ? d : null;
      },
      'a sample after the delete: instances plus holder make the total',
      30_000,
    );
    assert.deepEqual(
      details.map((d) => d.id),
      [2, 3, 4],
    );
    assert.equal(details.filter((d) => d.holder !== undefined).length, 1, 'the holder is counted once');
    const holder = details[0]?.holder as NonNullable<Detail['holder']>;
    const sum = details.reduce((n, d) => n + (d.memoryBytes as number), 0);
    assert.equal(sum + (holder.memoryBytes as number), holder.app.memoryBytes);
    // A scale-up takes the free instance number 0 with a new id; each worker's pm_id is its own row's id, as in PM2.
    assert.equal((await t.run(['scale', 'child', '+1'])).code, 0);
    const child = (await all()).filter((x) => x.name === 'child');
    assert.deepEqual(
      child.map((x) => [x.id, x.instance]),
      [
        [2, 1],
        [3, 2],
        [4, 3],
        [6, 0],
      ],
    );
    for (const x of child) {
      const env = readFileSync(`/proc/${x.pid}/environ`, 'utf8').split('\0');
      assert.ok(env.includes(`pm_id=${x.id}`), `pm_id of row ${x.id}`);
      assert.ok(env.includes(`NODE_APP_INSTANCE=${x.instance}`), `NODE_APP_INSTANCE of row ${x.id}`);
    }
  });
});

describe("instance restart counts go on across its holders, as PM2's restart_time", () => {
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
  });
  const rows = (): Promise<Row[]> => rowsOf(t, 'c');
  const counts = async (): Promise<Array<[number, number]>> => (await rows()).map((r) => [r.id, r.restarts]);

  it('a stop, a start and a daemon restart keep each instance count; `tend reset` clears it', async () => {
    const port = await freePort();
    assert.equal((await t.run(['start', fixture('cluster-server.js'), '--name', 'c', '-i', '2', '--env', `PORT=${port}`])).code, 0);
    await t.json(['restart', '1']);
    await t.json(['restart', '1']);
    const counted = await counts();
    assert.deepEqual(counted, [
      [0, 0],
      [1, 2],
    ]);
    assert.equal((await t.run(['stop', 'c'])).code, 0);
    assert.deepEqual(await counts(), counted, 'a stopped instance keeps its count');
    assert.equal((await t.run(['start', 'c'])).code, 0);
    // The start is the app's own restart: every instance counts it once.
    const started = await counts();
    assert.deepEqual(
      started.map(([, n]) => n - (started[0]?.[1] ?? 0)),
      [0, 2],
      JSON.stringify(started),
    );
    assert.equal((await t.run(['daemon', 'restart'])).code, 0);
    assert.deepEqual(await counts(), started, 'a new daemon shows the same counts');
    assert.equal((await t.run(['stop', 'c'])).code, 0);
    assert.equal((await t.run(['daemon', 'restart'])).code, 0);
    assert.deepEqual(await counts(), started, 'and while the app is stopped');
    assert.equal((await t.run(['reset', 'c'])).code, 0);
    assert.deepEqual(await counts(), [
      [0, 0],
      [1, 0],
    ]);
  });
});
