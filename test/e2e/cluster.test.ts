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
  ports?: Array<{ port: number }>;
}

describe('cluster mode', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-cluster-'));
  const versionFile = join(dir, 'version');
  let port = 0;
  const rows = async (name: string): Promise<Row[]> => ((await t.list()) as Row[]).filter((p) => p.name === name);

  before(async () => {
    port = await freePort();
    writeFileSync(versionFile, 'v1');
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts -i 2: one row per instance, each with its id, pid and NODE_APP_INSTANCE; the port is shared', async () => {
    const started = await t.json<Row[]>([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'web',
      '-i',
      '2',
      '--env',
      `PORT=${port}`,
      '--env',
      `VERSION_FILE=${versionFile}`,
    ]);
    assert.equal(started.length, 2);
    const list = await rows('web');
    assert.deepEqual(
      list.map((r) => r.instance),
      [0, 1],
    );
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
    assert.ok(
      [...result.bodies.keys()].some((b) => b.startsWith('v2 ')),
      'the new version answered',
    );
    const afterRows = await rows('web');
    assert.deepEqual(
      afterRows.map((r) => r.id),
      before.map((r) => r.id),
      'ids are kept',
    );
    for (const r of afterRows) assert.ok(!before.some((b) => b.pid === r.pid), 'every process was replaced');
    for (const b of before) await waitFor(() => !isAlive(b.pid as number), `old worker ${b.pid} to exit`);
  });

  it('rolls back a reload to a version that throws at start: exit 1 naming the instance, the reason and stderr; old workers keep serving', async () => {
    const before = await rows('web');
    const load = startLoad(port);
    await waitFor(() => load.snapshot().ok > 100, 'load to flow');
    writeFileSync(versionFile, 'throw');
    const r = await t.run(['reload', 'web']);
    const result = await load.stop();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /instance 0 \(id \d+\) exited with code 1 before it was ready/);
    assert.match(r.stderr, /broken build: cannot start/);
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    const after = await rows('web');
    assert.deepEqual(
      after.map((x) => x.pid),
      before.map((x) => x.pid),
      'the old processes were not touched',
    );
    assert.match((await getFresh(port)) ?? '', /^v2 /);
    const [detail] = await t.json<Array<{ lastReload: { ok: boolean; failedInstance: number; reason: string; stderr: string[] } }>>([
      'describe',
      'web',
    ]);
    assert.equal(detail?.lastReload.ok, false);
    assert.equal(detail?.lastReload.failedInstance, 0);
    assert.ok(detail?.lastReload.stderr.some((l) => l.includes('broken build')));
    writeFileSync(versionFile, 'v3');
  });

  it('scales up and down live without touching running workers; bad counts are refused', async () => {
    const before = await rows('web');
    const up = await t.json<Row[]>(['scale', 'web', '+1']);
    assert.deepEqual(
      up.map((r) => r.instance),
      [0, 1, 2],
    );
    const list = await rows('web');
    assert.deepEqual(
      list.slice(0, 2).map((r) => r.pid),
      before.map((r) => r.pid),
    );
    assert.ok(list[2]?.status === 'online' && typeof list[2].pid === 'number');
    t.remember(list[2]);
    const down = await t.json<Row[]>(['scale', 'web', '2']);
    assert.deepEqual(
      down.map((r) => r.pid),
      before.map((r) => r.pid),
    );
    await waitFor(() => !isAlive(list[2]?.pid as number), 'the removed worker to exit');
    for (const args of [
      ['scale', 'web', '0'],
      ['scale', 'web', '-5'],
      ['scale', 'web', 'lots'],
      ['scale', 'nope', '2'],
    ]) {
      const r = await t.run(args);
      assert.ok(r.code === 2 || r.code === 1, `${args.join(' ')} → ${r.code}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal((await rows('web')).length, 2);
  });

  it('restarts, stops and starts one instance by its id; the other keeps its process', async () => {
    const list = await rows('web');
    const second = list[1] as Row;
    const r = await t.run(['restart', String(second.id)]);
    assert.equal(r.code, 0, r.stderr);
    const after = await rows('web');
    assert.equal(after[0]?.pid, list[0]?.pid);
    assert.notEqual(after[1]?.pid, second.pid);
    t.remember(after[1]);
    const [stopped] = await t.json<Row[]>(['stop', String(second.id)]);
    assert.equal(stopped?.status, 'stopped');
    assert.equal(stopped?.pid, null);
    await waitFor(() => !isAlive(after[1]?.pid as number), 'the stopped instance to exit');
    const mid = await rows('web');
    assert.deepEqual(
      mid.map((x) => x.status),
      ['online', 'stopped'],
    );
    assert.equal(mid[0]?.pid, list[0]?.pid, 'the other instance was not touched');
    // The app's ports show on its running instance once sampled, never on the stopped one.
    const sampled = await waitFor(async () => {
      const r = await rows('web');
      return (r[0]?.ports?.length ?? 0) > 0 ? r : undefined;
    }, 'the ports of the running instance');
    assert.equal(sampled[1]?.ports, undefined, 'a stopped instance listens on nothing');
    const [started] = await t.json<Row[]>(['start', String(second.id)]);
    assert.equal(started?.status, 'online');
    assert.ok(typeof started?.pid === 'number' && isAlive(started.pid));
    assert.deepEqual(
      (await rows('web')).map((x) => x.id),
      list.map((x) => x.id),
    );
  });

  it('survives a daemon kill -9 under load; the next daemon adopts it and a reload still drops nothing', async () => {
    const before = await rows('web');
    const load = startLoad(port);
    await waitFor(() => load.snapshot().ok > 100, 'load to flow');
    const daemon = t.daemonPid() as number;
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    const mid = load.snapshot().ok;
    await waitFor(() => load.snapshot().ok > mid + 100, 'requests to flow with no daemon');
    const adopted = await rows('web');
    assert.deepEqual(
      adopted.map((r) => r.pid),
      before.map((r) => r.pid),
    );
    assert.deepEqual(
      adopted.map((r) => r.id),
      before.map((r) => r.id),
    );
    writeFileSync(versionFile, 'v4');
    const r = await t.run(['reload', 'web']);
    assert.equal(r.code, 0, r.stderr);
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    assert.match((await getFresh(port)) ?? '', /^v4 /);
    for (const row of await rows('web')) t.remember(row);
  });
});

describe('cluster mode: other apps and bad input', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-cluster2-'));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never-ready new version with wait_ready: reload exits 1 after listen_timeout, old one serves', async () => {
    const port = await freePort();
    const versionFile = join(dir, 'wr-version');
    writeFileSync(versionFile, 'v1');
    await t.json([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'wr',
      '-i',
      '1',
      '--wait-ready',
      '--listen-timeout',
      '800',
      '--env',
      `PORT=${port}`,
      '--env',
      `VERSION_FILE=${versionFile}`,
    ]);
    const [first] = ((await t.list()) as Row[]).filter((r) => r.name === 'wr');
    t.remember(first);
    writeFileSync(versionFile, 'never-ready');
    const r = await t.run(['reload', 'wr']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not ready within listen_timeout \(800 ms\)/);
    const [after] = ((await t.list()) as Row[]).filter((x) => x.name === 'wr');
    assert.equal(after?.pid, first?.pid);
    assert.match((await getFresh(port)) ?? '', /^v1 /);
  });

  it('runs ESM apps (with an --import loader), PM2 cluster ecosystem files, and increment_var per instance', async () => {
    const esmPort = await freePort();
    // A loader given as node args reaches every worker (the `--import tsx` shape).
    const loader = join(dir, 'loader.mjs');
    writeFileSync(loader, 'globalThis.TEND_TEST_LOADER = "loaded";\n');
    await t.json([
      'start',
      fixture('cluster-server.mjs'),
      '--name',
      'esm',
      '-i',
      '2',
      `--node-args=--import ${loader}`,
      '--env',
      `PORT=${esmPort}`,
    ]);
    assert.match((await getFresh(esmPort)) ?? '', /^esm [01] \d+ loaded$/m);
    const base = await freePort();
    writeFileSync(
      join(dir, 'ecosystem.config.js'),
      `module.exports = { apps: [{ name: 'eco', script: ${JSON.stringify(fixture('cluster-server.js'))}, instances: 2, exec_mode: 'cluster', increment_var: 'PORT', env: { PORT: ${base} } }] };`,
    );
    const r = await t.run(['start', join(dir, 'ecosystem.config.js')]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /no effect|not supported/);
    const eco = ((await t.list()) as Row[]).filter((x) => x.name === 'eco');
    for (const row of [...eco, ...(await t.list())]) t.remember(row);
    assert.deepEqual(
      eco.map((x) => x.instance),
      [0, 1],
    );
    assert.match((await waitFor(() => getFresh(base), 'instance 0')) ?? '', new RegExp(`^v1 0 \\d+ ${base}$`, 'm'));
    assert.match((await waitFor(() => getFresh(base + 1), 'instance 1')) ?? '', new RegExp(`^v1 1 \\d+ ${base + 1}$`, 'm'));
  });

  it('refuses bad input with one line and a documented exit code, changing nothing', async () => {
    const before = await t.list();
    const cases: Array<[string[], number, RegExp]> = [
      [['start', fixture('cluster-server.js'), '-i', 'lots'], 2, /instances/],
      [['start', '--name', 'sh', '-i', '2', '--', 'sleep', '100'], 2, /--listen/],
      [['start', fixture('cluster-server.js'), '--name', 'badl', '--listen', 'nope:port'], 2, /listen/],
      [['reload', 'nope'], 1, /no app matches/],
      [['reload', 'esm', '--parallel', '0'], 2, /parallel/],
    ];
    for (const [args, code, re] of cases) {
      const r = await t.run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.deepEqual(
      (await t.list()).map((p) => [p.id, p.pid]),
      before.map((p) => [p.id, p.pid]),
    );
  });
});
