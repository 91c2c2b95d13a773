import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
  memoryBytes: number | null;
  cpuPercent: number | null;
}
interface Detail extends Row {
  instances?: Array<{ id: number; instance: number; pid: number | null; status: string }>;
  holder?: { pid: number | null; memoryBytes: number | null; app: { memoryBytes: number | null } };
}

/** PM2's test/fixtures/all.json: echo, child ×4 (cluster mode), api-2; PM2's `jlist` has 6 entries. */
const PM2_ALL = join(ROOT, 'test', 'fixtures', 'configs', 'pm2-all');

describe("instances: PM2's all.json has 6 rows in every state", () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-all-json-'));
  const file = join(dir, 'all.json');
  const rowsOf = async (name?: string): Promise<Row[]> => ((await t.list()) as Row[]).filter((r) => name === undefined || r.name === name);
  const remember = (rows: Row[]): void => {
    for (const r of rows) {
      t.remember(r);
      if (typeof r.holderPid === 'number') t.track(r.holderPid);
    }
  };

  before(() => cpSync(PM2_ALL, dir, { recursive: true }));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("online: 6 rows, ids 0…5 as PM2 numbers them, every pid its own process (never the holder's)", async () => {
    const r = await t.run(['start', file]);
    assert.equal(r.code, 0, r.stderr);
    const rows = await waitFor(
      async () => {
        const all = await rowsOf();
        return all.length === 6 && all.every((x) => x.status === 'online') ? all : null;
      },
      'every row online',
      30_000,
    );
    remember(rows);
    assert.deepEqual(
      rows.map((x) => x.name),
      ['echo', 'child', 'child', 'child', 'child', 'api-2'],
    );
    assert.deepEqual(
      rows.map((x) => x.id),
      [0, 1, 2, 3, 4, 5],
    );
    const child = rows.filter((x) => x.name === 'child');
    assert.deepEqual(
      child.map((x) => x.instance),
      [0, 1, 2, 3],
    );
    assert.equal(new Set(child.map((x) => x.pid)).size, 4);
    for (const x of child) assert.notEqual(x.pid, x.holderPid, "a row's pid is never the holder's");
    // Starting the file again answers with the instances' pids, not the holder's.
    const again = JSON.parse((await t.run(['start', file, '--json'])).stdout) as Row[];
    for (const x of again) assert.ok(x.pid !== null && x.pid !== x.holderPid, `pid of ${x.name} (${x.id})`);
    remember(
      await waitFor(
        async () => {
          const all = await rowsOf();
          return all.length === 6 && all.every((x) => x.status === 'online') ? all : null;
        },
        'every row online again',
        30_000,
      ),
    );
  });

  it("per-instance memory: each row its own worker, different per row; instances plus the holder make the app's total", async () => {
    const child = await waitFor(
      async () => {
        const rows = await rowsOf('child');
        return rows.every((x) => x.memoryBytes !== null) ? rows : null;
      },
      'memory on every instance row',
      30_000,
    );
    assert.equal(new Set(child.map((x) => x.memoryBytes)).size, 4, `memory per row: ${child.map((x) => x.memoryBytes).join(', ')}`);
    // Instance 3 holds 24 MB more than instance 0 (child.js): its row shows it, not a shared total.
    assert.ok((child[3]?.memoryBytes as number) - (child[0]?.memoryBytes as number) > 16 * 1024 * 1024, 'instance 3 shows its own buffer');
    // One describe answers from one sample: the sum over instances plus the holder is the app's total.
    const details = await t.json<Detail[]>(['describe', 'child']);
    assert.equal(details.length, 4);
    const holder = details[0]?.holder;
    assert.ok(holder !== undefined && typeof holder.memoryBytes === 'number' && typeof holder.app.memoryBytes === 'number');
    assert.equal(details.filter((d) => d.holder !== undefined).length, 1, 'the holder is counted once');
    const sum = details.reduce((n, d) => n + (d.memoryBytes as number), 0);
    assert.equal(sum + holder.memoryBytes, holder.app.memoryBytes);
    assert.ok(sum < holder.app.memoryBytes, 'no row carries the whole cluster');
  });

  it('describe <instance id> is that instance; stop/start/restart of one instance id act on that one only', async () => {
    const before = await rowsOf('child');
    const third = before[2] as Row;
    const [d] = await t.json<Detail[]>(['describe', String(third.id)]);
    assert.equal(d?.pid, third.pid);
    assert.equal(d?.instance, 2);
    const [stopped] = await t.json<Row[]>(['stop', String(third.id)]);
    assert.equal(stopped?.status, 'stopped');
    await waitFor(() => !isAlive(third.pid as number), 'the stopped instance to exit');
    const mid = await rowsOf();
    assert.equal(mid.length, 6, 'a stopped instance keeps its row');
    assert.deepEqual(
      mid.filter((x) => x.name === 'child').map((x) => x.status),
      ['online', 'online', 'stopped', 'online'],
    );
    assert.deepEqual(
      mid
        .filter((x) => x.name === 'child')
        .map((x) => x.pid)
        .filter((p, i) => i !== 2),
      before.map((x) => x.pid).filter((p, i) => i !== 2),
    );
    await t.json(['start', String(third.id)]);
    const [restarted] = await t.json<Row[]>(['restart', String(third.id)]);
    remember([restarted as Row]);
    const [after] = await t.json<Detail[]>(['describe', String(third.id)]);
    assert.equal(after?.pid, restarted?.pid);
    assert.ok(typeof after?.pid === 'number' && isAlive(after.pid), 'describe shows the live process after a restart');
    assert.equal((await rowsOf('child')).filter((x) => x.status === 'online').length, 4);
    // `start <app>` starts the app's stopped instances, as PM2 starts every process of the name.
    await t.json(['stop', String(third.id)]);
    await t.json(['start', 'child']);
    remember(
      await waitFor(async () => {
        const rows = await rowsOf('child');
        return rows.every((x) => x.status === 'online' && x.pid !== null) ? rows : null;
      }, 'every instance online again'),
    );
  });

  it('stopped: 6 rows, no pids', async () => {
    const r = await t.run(['stop', file]);
    assert.equal(r.code, 0, r.stderr);
    const rows = await rowsOf();
    assert.equal(rows.length, 6);
    assert.ok(rows.every((x) => x.status === 'stopped' && x.pid === null));
    assert.deepEqual(
      rows.map((x) => x.id),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it('errored: 6 rows; describe of the app reports its instances (errored, their restarts), not the holder', async () => {
    writeFileSync(join(dir, 'crash'), '');
    try {
      await t.run(['start', file]);
      const rows = await waitFor(
        async () => {
          const all = await rowsOf();
          return all.filter((x) => x.name === 'child').every((x) => x.status === 'errored') ? all : null;
        },
        'every child instance errored',
        90_000,
        200,
      );
      remember(rows);
      assert.equal(rows.length, 6);
      const details = await t.json<Detail[]>(['describe', 'child']);
      assert.equal(details.length, 4);
      for (const d of details) {
        assert.equal(d.status, 'errored');
        assert.ok(d.restarts > 0, `restarts of instance ${d.instance}: ${d.restarts}`);
        assert.equal(d.pid, null);
      }
      const text = await t.run(['describe', 'child']);
      assert.doesNotMatch(text.stdout, /^status\s+online/m);
    } finally {
      unlinkSync(join(dir, 'crash'));
    }
  });

  it('launching and back online: 6 rows all along', async () => {
    const counts = new Set<number>();
    const restarting = t.run(['restart', file]);
    const seen = await waitFor(
      async () => {
        const all = await rowsOf();
        counts.add(all.length);
        return all.some((x) => x.status === 'launching') ? all : null;
      },
      'a launching instance',
      30_000,
      5,
    );
    const r = await restarting;
    assert.equal(r.code, 0, r.stderr);
    const rows = await waitFor(
      async () => {
        const all = await rowsOf();
        counts.add(all.length);
        return all.every((x) => x.status === 'online') ? all : null;
      },
      'every row online again',
      30_000,
    );
    remember(rows);
    assert.ok(seen.every((x) => x.pid === null || x.pid !== x.holderPid));
    assert.deepEqual([...counts], [6], 'always 6 rows');
  });
});

describe('instances: pids right after start, ids kept by save and resurrect', () => {
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
  });

  it("list during and right after `start -i 2`: two rows from the first moment, pids the workers' (never the holder's), stable", async () => {
    // The app is not ready before wait_ready's `ready` (cluster-server.js sends it once listening).
    const starting = t.run([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'web',
      '-i',
      '2',
      '--wait-ready',
      '--env',
      'PORT=0',
      '--json',
    ]);
    const first = await waitFor(
      async () => {
        const rows = ((await t.list()) as Row[]).filter((r) => r.name === 'web');
        return rows.length > 0 ? rows : null;
      },
      'the app to be listed',
      20_000,
      5,
    );
    for (const r of first) if (typeof r.holderPid === 'number') t.track(r.holderPid);
    assert.equal(first.length, 2, `rows while launching: ${JSON.stringify(first.map((r) => [r.id, r.status, r.pid]))}`);
    for (const r of first) assert.ok(r.pid === null || r.pid !== r.holderPid, "a row's pid is never the holder's");
    const r = await starting;
    assert.equal(r.code, 0, r.stderr);
    const started = JSON.parse(r.stdout) as Row[];
    assert.equal(started.length, 2);
    const now = ((await t.list()) as Row[]).filter((x) => x.name === 'web');
    t.remember(now);
    assert.deepEqual(
      now.map((x) => x.pid),
      started.map((x) => x.pid),
      'list right after start shows the pids start answered',
    );
    for (const x of now) assert.ok(typeof x.pid === 'number' && x.pid !== x.holderPid && isAlive(x.pid));
    const later = await waitFor(
      async () => {
        const rows = ((await t.list()) as Row[]).filter((x) => x.name === 'web');
        return rows.every((x) => x.status === 'online' && x.memoryBytes !== null) ? rows : null;
      },
      'a sample of both',
      20_000,
    );
    assert.deepEqual(
      later.map((x) => x.pid),
      now.map((x) => x.pid),
      'the pids do not change',
    );
    assert.deepEqual(
      later.map((x) => x.id),
      first.map((x) => x.id),
      'ids given at start',
    );
  });

  it('save and resurrect keep every instance id (0, 1, 3) and count the same', async () => {
    await t.run(['delete', 'all']);
    await t.json(['start', fixture('forever.js'), '--name', 'a']);
    await t.json(['start', fixture('cluster-server.js'), '--name', 'web2', '-i', '1', '--env', 'PORT=0']);
    await t.json(['start', fixture('forever.js'), '--name', 'b']);
    await t.json(['scale', 'web2', '2']);
    await t.run(['delete', 'b']);
    const before = (await t.list()) as Row[];
    const ids = before.map((r) => r.id);
    assert.equal(before.length, 3);
    const saved = await t.run(['save']);
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal((await t.run(['kill'])).code, 0);
    const r = await t.run(['resurrect']);
    assert.equal(r.code, 0, r.stderr);
    const savedCount = /saved (\d+) app/.exec(saved.stdout)?.[1];
    const startedCount = /started (\d+) saved app/.exec(r.stdout)?.[1];
    assert.equal(savedCount, startedCount, `${saved.stdout} / ${r.stdout}`);
    const rows = await waitFor(
      async () => {
        const all = (await t.list()) as Row[];
        return all.length === 3 && all.every((x) => x.status === 'online') ? all : null;
      },
      'everything back online',
      30_000,
    );
    t.remember(rows);
    for (const x of rows) if (typeof x.holderPid === 'number') t.track(x.holderPid);
    assert.deepEqual(
      rows.map((x) => x.id),
      ids,
    );
  });
});
