import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { getFresh, startLoad } from '../helpers/load-loop.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}

interface Detail {
  lastReload: { ok: boolean; failedInstance: number | null; reason: string | null; replaced: number[] } | null;
  spec: { minReadyMs?: number };
}

/**
 * Rolling reloads that must not take a cluster app down: a new version that never becomes ready
 * (issue 17 item 5), one that dies soon after it is ready (issue 20 item 3), and `scale` or a
 * second reload arriving during a reload (issue 20 item 4). Real workers, real HTTP load.
 */
describe('cluster reloads that fail, and reloads racing scale', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-reload-'));
  const rows = async (name: string): Promise<Row[]> => ((await t.list()) as Row[]).filter((p) => p.name === name);
  const remember = async (name: string): Promise<Row[]> => {
    const list = await rows(name);
    for (const r of list) t.remember(r);
    if (typeof list[0]?.holderPid === 'number') t.track(list[0].holderPid);
    return list;
  };
  /** The distinct worker pids that answer `count` requests on new connections. */
  const answering = async (port: number, count = 40): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) seen.add(((await getFresh(port)) ?? 'failed').trim());
    return seen;
  };
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startApp(
    name: string,
    instances: number,
    extra: string[] = [],
  ): Promise<{ port: number; versionFile: string; before: Row[] }> {
    const port = await freePort();
    const versionFile = join(dir, `${name}-version`);
    writeFileSync(versionFile, 'v1');
    await t.json([
      'start',
      fixture('cluster-server.js'),
      '--name',
      name,
      '-i',
      String(instances),
      '--env',
      `PORT=${port}`,
      '--env',
      `VERSION_FILE=${versionFile}`,
      ...extra,
    ]);
    const before = await remember(name);
    assert.equal(before.length, instances);
    return { port, versionFile, before };
  }

  it('a new version that never listens fails the reload: exit 1, 0 failed requests, old workers serve, describe says why', async () => {
    const { port, versionFile, before } = await startApp('never', 2, ['--listen-timeout', '1500']);
    const load = startLoad(port);
    await waitFor(() => load.snapshot().ok > 100, 'load to flow');
    writeFileSync(versionFile, 'never-listen');
    const r = await t.run(['reload', 'never']);
    const mid = load.snapshot().ok;
    await waitFor(() => load.snapshot().ok > mid + 100, 'load to flow after the reload');
    const result = await load.stop();
    assert.equal(r.code, 1, `reload must fail: ${r.stderr}`);
    assert.match(r.stderr, /instance 0 \(id \d+\) was not ready within listen_timeout \(1500 ms\): it never listened/);
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    const after = await rows('never');
    assert.deepEqual(
      after.map((x) => [x.pid, x.status]),
      before.map((x) => [x.pid, 'online']),
    );
    const [detail] = await t.json<Detail[]>(['describe', 'never']);
    assert.equal(detail?.lastReload?.ok, false);
    assert.match(detail?.lastReload?.reason ?? '', /listen_timeout/);
    const text = await t.run(['describe', 'never']);
    assert.match(text.stdout, /^last reload\s+FAILED at .*instance 0 \(id \d+\) was not ready within listen_timeout/m);
    // A good version reloads again, and describe says so.
    writeFileSync(versionFile, 'v2');
    assert.equal((await t.run(['reload', 'never'])).code, 0);
    assert.match((await t.run(['describe', 'never'])).stdout, /^last reload\s+ok at .*2 instance\(s\) replaced/m);
    await remember('never');
  });

  it('a new version that dies 600 ms after it listens rolls back within min_ready; the 4 old workers keep serving', async () => {
    const { port, versionFile, before } = await startApp('brittle', 4);
    writeFileSync(versionFile, 'crash-after-listen');
    const r = await t.run(['reload', 'brittle']);
    assert.equal(r.code, 1, `reload must fail: ${r.stderr}`);
    assert.match(r.stderr, /exited with code 1 after it was ready, within min_ready \(2000 ms\)/);
    // Long after: every old worker still runs and answers, nothing crash-loops.
    const load = startLoad(port);
    await waitFor(() => load.snapshot().ok > 300, 'load to flow', 20_000);
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    assert.ok(
      [...result.bodies.keys()].every((b) => b.startsWith('v1 ')),
      'only the old version answers',
    );
    const after = await rows('brittle');
    assert.deepEqual(
      after.map((x) => [x.pid, x.status, x.restarts]),
      before.map((x) => [x.pid, 'online', x.restarts]),
    );
    // min_ready is a setting (config key and flag), 2 s by default.
    const [detail] = await t.json<Detail[]>(['describe', 'brittle']);
    assert.equal(detail?.spec.minReadyMs, 2000);
    assert.match((await t.run(['help', 'config'])).stdout, /min_ready/);
    await startApp('quick', 1, ['--min-ready', '500']);
    assert.equal((await t.json<Detail[]>(['describe', 'quick']))[0]?.spec.minReadyMs, 500);
  });

  it('scale up during a reload that brings a new env: both succeed, every worker runs the new env', async () => {
    const port = await freePort();
    const file = join(dir, 'eco.config.js');
    const versionFile = join(dir, 'eco-version');
    writeFileSync(versionFile, 'v1');
    const eco = (greeting: string): string =>
      `module.exports = { apps: [{ name: 'eco', script: ${JSON.stringify(fixture('cluster-server.js'))}, instances: 2, exec_mode: 'cluster', env: { PORT: ${port}, GREETING: '${greeting}', VERSION_FILE: ${JSON.stringify(versionFile)} } }] };`;
    writeFileSync(file, eco('hello-1'));
    assert.equal((await t.run(['start', file])).code, 0);
    const before = await remember('eco');
    // A new version that takes 1.5 s to listen: the scale below lands in the middle of the reload.
    writeFileSync(versionFile, 'slow-v2');
    writeFileSync(file, eco('hello-2'));
    const reload = t.run(['startOrReload', file]);
    await waitFor(async () => (await getFresh(port))?.includes('hello-2'), 'the first new worker to answer');
    const scale = await t.run(['scale', 'eco', '4']);
    const reloaded = await reload;
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.equal(scale.code, 0, scale.stderr);
    const after = await remember('eco');
    assert.deepEqual(
      after.map((x) => x.instance),
      [0, 1, 2, 3],
    );
    assert.ok(after.every((x) => x.status === 'online' && typeof x.pid === 'number' && isAlive(x.pid)));
    for (const b of before) await waitFor(() => !isAlive(b.pid as number), `old worker ${b.pid} to exit`);
    const seen = await answering(port, 60);
    assert.ok(
      [...seen].every((b) => b.endsWith(' hello-2')),
      `every answer has the new env: ${[...seen].join(' | ')}`,
    );
    const pids = new Set([...seen].map((b) => Number(b.split(' ')[2])));
    assert.deepEqual([...pids].sort(), after.map((x) => x.pid).sort(), 'exactly the listed workers answer');
    // The daemon's spec took the file's new env and then the scale's count, in that order.
    const [detail] = await t.json<Array<{ spec: { instances: number; env: Record<string, string> } }>>(['describe', 'eco']);
    assert.equal(detail?.spec.instances, 4);
    assert.equal(detail?.spec.env.GREETING, 'hello-2');
  });

  it('a reload during a scale-up waits for it, then replaces every instance, the new ones included', async () => {
    // A loaded machine can take more than the default 3 s to start a worker: this test is about order.
    const { port, versionFile, before } = await startApp('grow', 2, ['--listen-timeout', '20s']);
    writeFileSync(versionFile, 'slow-v2');
    const scale = t.run(['scale', 'grow', '4']);
    await waitFor(async () => (await rows('grow')).length === 4, 'the scale to begin');
    const reload = await t.run(['reload', 'grow', '--parallel', '2']);
    assert.equal((await scale).code, 0);
    assert.equal(reload.code, 0, reload.stderr);
    const after = await remember('grow');
    assert.deepEqual(
      after.map((x) => x.instance),
      [0, 1, 2, 3],
    );
    for (const b of before) await waitFor(() => !isAlive(b.pid as number), `old worker ${b.pid} to exit`);
    const seen = await answering(port, 60);
    const pids = new Set([...seen].map((x) => Number(x.split(' ')[2])));
    assert.deepEqual([...pids].sort(), after.map((x) => x.pid).sort(), `exactly the listed workers answer: ${[...seen].join(' | ')}`);
  });

  it('scale down during a reload: the one listed worker is the only one left, and a later reload replaces it', async () => {
    const { port, versionFile, before } = await startApp('shrink', 3);
    writeFileSync(versionFile, 'slow-v2');
    const reload = t.run(['reload', 'shrink']);
    await waitFor(async () => (await getFresh(port))?.startsWith('slow-v2 '), 'the first new worker to answer');
    const scale = await t.run(['scale', 'shrink', '1']);
    const reloaded = await reload;
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.equal(scale.code, 0, scale.stderr);
    const [only, ...rest] = await remember('shrink');
    assert.deepEqual(rest, []);
    for (const b of before) await waitFor(() => !isAlive(b.pid as number), `old worker ${b.pid} to exit`);
    const seen = await answering(port);
    assert.deepEqual([...seen], [`slow-v2 0 ${only?.pid} ${port}`]);
    writeFileSync(versionFile, 'v3');
    assert.equal((await t.run(['reload', 'shrink'])).code, 0);
    await waitFor(() => !isAlive(only?.pid as number), 'the reloaded worker to exit');
    const [next] = await remember('shrink');
    assert.deepEqual([...(await answering(port))], [`v3 0 ${next?.pid} ${port}`]);
  });

  it('stop during a reload: the reload exits 1 and every worker, old and new, is gone', async () => {
    const { port, versionFile, before } = await startApp('halt', 2);
    writeFileSync(versionFile, 'slow-v2');
    const reload = t.run(['reload', 'halt']);
    const fresh = await waitFor(async () => {
      const b = await getFresh(port);
      return b?.startsWith('slow-v2 ') ? b : undefined;
    }, 'the first new worker to answer');
    const newPid = Number(fresh.split(' ')[2]);
    const stop = await t.run(['stop', 'halt']);
    assert.equal(stop.code, 0, stop.stderr);
    const reloaded = await reload;
    assert.equal(reloaded.code, 1);
    // One line that says what became of the reload and what to do, not a lost connection.
    assert.equal(reloaded.stderr.trim().split('\n').length, 1, reloaded.stderr);
    // Whichever came first: the holder's answer (its new process was stopped) or its exit.
    assert.match(
      reloaded.stderr,
      /(holder process exited before it answered \(the app was stopped or deleted meanwhile|the app was stopped or deleted during the reload).* — .*`tend list`/,
    );
    for (const pid of [...before.map((b) => b.pid as number), newPid]) await waitFor(() => !isAlive(pid), `worker ${pid} to exit`);
    assert.equal(await getFresh(port), undefined, 'nothing listens any more');
  });

  it('two reloads at once both succeed, one after the other, with 0 failed requests', async () => {
    const { port, versionFile, before } = await startApp('twice', 2);
    const load = startLoad(port);
    await waitFor(() => load.snapshot().ok > 100, 'load to flow');
    writeFileSync(versionFile, 'slow-v2');
    const [a, b] = await Promise.all([t.run(['reload', 'twice']), t.run(['reload', 'twice'])]);
    const result = await load.stop();
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    const after = await remember('twice');
    assert.equal(after.length, 2);
    for (const x of before) await waitFor(() => !isAlive(x.pid as number), `old worker ${x.pid} to exit`);
    const seen = await answering(port);
    assert.equal(seen.size, 2);
    assert.ok([...seen].every((s) => s.startsWith('slow-v2 ')));
  });
});
