import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerPool } from '../../src/holder/worker-pool.js';
import { newSlot, transition, type Slot, type SlotEvent } from '../../src/holder/slot-machine.js';
import type { AppSpec } from '../../src/protocol/app-spec.js';
import { FakeDriver } from '../helpers/fake-driver.js';
import { sampleSpec } from '../helpers/sample-spec.js';
import { waitFor } from '../helpers/tend.js';

const spec = (env: Record<string, string> = {}, more: Partial<AppSpec> = {}): AppSpec =>
  sampleSpec({
    execMode: 'cluster',
    instances: 2,
    env: { MODE: 'ok', ...env },
    listenTimeoutMs: 150,
    minReadyMs: 100,
    killTimeoutMs: 100,
    minUptimeMs: 50,
    ...more,
  });

function pool(s: AppSpec = spec()): { pool: WorkerPool; driver: FakeDriver; log: string[] } {
  const driver = new FakeDriver();
  const log: string[] = [];
  return { pool: new WorkerPool(s, driver, { log: (l) => log.push(l), changed: () => undefined, extraEnv: {} }), driver, log };
}

/** Every process the pool does not show has exited: nothing is orphaned. */
function assertNoOrphans(p: WorkerPool, driver: FakeDriver): void {
  const shown = new Set(p.status().workers.map((w) => w.pid));
  const orphans = driver.alive().filter((x) => !shown.has(x.pid));
  assert.deepEqual(
    orphans.map((x) => `${x.pid} (instance ${x.instance}, ${x.mode})`),
    [],
  );
}

const pids = (p: WorkerPool): Array<number | null> => p.status().workers.map((w) => w.pid);
const envOf = (driver: FakeDriver, pid: number | null): Record<string, string> | undefined => driver.procs.find((x) => x.pid === pid)?.env;

describe('WorkerPool (fake driver)', () => {
  it('starts every instance online, then a reload replaces each one after min_ready', async () => {
    const { pool: p, driver } = pool();
    await p.start();
    assert.deepEqual(
      p.status().workers.map((w) => w.status),
      ['online', 'online'],
    );
    const before = pids(p);
    const t0 = Date.now();
    const report = await p.reload(spec({ V: '2' }), 1);
    assert.equal(report.ok, true);
    assert.deepEqual(report.replaced, [0, 1]);
    assert.ok(Date.now() - t0 >= 2 * 100, 'each new process was watched for min_ready');
    for (const pid of pids(p)) assert.equal(envOf(driver, pid)?.V, '2');
    for (const pid of before) assert.ok(driver.procs.find((x) => x.pid === pid)?.retired, 'old process retired');
    assertNoOrphans(p, driver);
    await p.stopAll();
    assert.deepEqual(driver.alive(), []);
  });

  it('(A) a new version that never becomes ready (no wait_ready) fails the reload; old processes keep running', async () => {
    const { pool: p, driver } = pool();
    await p.start();
    const before = pids(p);
    const report = await p.reload(spec({ MODE: 'never' }), 1);
    assert.equal(report.ok, false);
    assert.equal(report.failedInstance, 0);
    assert.match(report.reason ?? '', /was not ready within listen_timeout \(150 ms\): it never listened/);
    assert.deepEqual(pids(p), before);
    assert.deepEqual(
      p.status().workers.map((w) => w.status),
      ['online', 'online'],
    );
    assert.equal(p.status().lastReload?.ok, false);
    const fresh = driver.procs.find((x) => x.mode === 'never');
    assert.ok(fresh?.exitedFlag && fresh.signals.includes('SIGKILL'), 'the never-ready process was killed');
    assertNoOrphans(p, driver);
    await p.stopAll();
  });

  it('(B) a new version that crashes within min_ready after it was ready rolls back; after min_ready it is a normal crash', async () => {
    const { pool: p, driver } = pool(spec({}, { instances: 4 }));
    await p.start();
    const before = pids(p);
    const report = await p.reload(spec({ MODE: 'crash-after-ready', CRASH_MS: '30' }, { instances: 4 }), 1);
    assert.equal(report.ok, false);
    assert.equal(report.failedInstance, 0);
    assert.deepEqual(report.replaced, []);
    assert.match(report.reason ?? '', /exited with code 1 after it was ready, within min_ready \(100 ms\)/);
    assert.deepEqual(pids(p), before, 'no old process was retired');
    assert.ok(p.status().workers.every((w) => w.status === 'online'));
    assertNoOrphans(p, driver);
    // A crash later than min_ready is not the reload's: it is replaced, then restarted by policy.
    const late = await p.reload(spec({ MODE: 'crash-after-ready', CRASH_MS: '300' }, { instances: 4 }), 4);
    assert.equal(late.ok, true);
    await p.stopAll();
    assert.deepEqual(driver.alive(), []);
  });

  it('(C) scale up during a reload with a new env: the scale waits, every worker ends on the new env', async () => {
    const { pool: p, driver } = pool();
    await p.start();
    const reload = p.reload(spec({ V: '2' }), 1);
    const scaled = p.scale(4);
    const [report, status] = await Promise.all([reload, scaled]);
    assert.equal(report.ok, true);
    assert.equal(status.workers.length, 4);
    assert.ok(status.workers.every((w) => w.status === 'online'));
    for (const pid of pids(p)) assert.equal(envOf(driver, pid)?.V, '2', `pid ${pid} runs the reloaded env`);
    assertNoOrphans(p, driver);
    await p.stopAll();
  });

  it('(C) scale down during a reload: no error, the removed instances leave no process behind', async () => {
    const { pool: p, driver } = pool(spec({}, { instances: 4 }));
    await p.start();
    const reload = p.reload(spec({ V: '2' }, { instances: 4 }), 1);
    await waitFor(() => p.status().reloading, 'the reload to begin');
    const status = await p.scale(1);
    assert.equal((await reload).ok, true);
    assert.deepEqual(
      status.workers.map((w) => w.instance),
      [0],
    );
    assert.equal(driver.alive().length, 1);
    assert.equal(envOf(driver, pids(p)[0] ?? null)?.V, '2');
    assertNoOrphans(p, driver);
    // A later reload replaces the one instance left.
    const again = await p.reload(undefined, 1);
    assert.deepEqual(again.replaced, [0]);
    assert.equal(driver.alive().length, 1);
    await p.stopAll();
  });

  it('(C) a reload during a scale-up waits for it and replaces every instance, the new ones included', async () => {
    const { pool: p, driver } = pool(spec({ READY_MS: '40' }));
    await p.start();
    const scaled = p.scale(3);
    const reload = p.reload(spec({ V: '2', READY_MS: '5' }, { instances: 3 }), 2);
    await scaled;
    const report = await reload;
    assert.deepEqual(report.replaced, [0, 1, 2]);
    for (const pid of pids(p)) assert.equal(envOf(driver, pid)?.V, '2');
    assertNoOrphans(p, driver);
    await p.stopAll();
  });

  it('(C) two reloads at once run one after the other; the last spec wins', async () => {
    const { pool: p, driver } = pool();
    await p.start();
    const [a, b] = await Promise.all([p.reload(spec({ V: 'a' }), 1), p.reload(spec({ V: 'b' }), 1)]);
    assert.equal(a.ok && b.ok, true);
    for (const pid of pids(p)) assert.equal(envOf(driver, pid)?.V, 'b');
    assert.equal(driver.procs.length, 6, '2 started, 2 + 2 by the reloads');
    assertNoOrphans(p, driver);
    await p.stopAll();
  });

  it('restart of one instance, crash restarts by policy, errored after max_restarts', async () => {
    const { pool: p, driver } = pool(spec({}, { maxRestarts: 2 }));
    await p.start();
    const [first, second] = pids(p);
    const st = await p.restartInstance(1);
    assert.equal(st.workers[0]?.pid, first);
    assert.notEqual(st.workers[1]?.pid, second);
    assert.equal(st.workers[1]?.restarts, 1);
    driver.procs.find((x) => x.pid === first)?.exit(1, null);
    await waitFor(() => p.status().workers[0]?.status === 'online' && p.status().workers[0]?.pid !== first, 'instance 0 to be restarted');
    assert.equal(p.status().workers[0]?.restarts, 1);
    // Crash it at once each time it is online: max_restarts (2) unstable runs in a row → errored.
    const crash = setInterval(() => {
      const w = p.status().workers[0];
      if (w?.status === 'online') driver.procs.find((x) => x.pid === w.pid)?.exit(1, null);
    }, 1);
    await waitFor(() => p.status().workers[0]?.status === 'errored', 'instance 0 errored');
    clearInterval(crash);
    assert.equal(p.status().workers[0]?.pid, null);
    // A reload brings an errored instance back.
    const report = await p.reload(undefined, 1);
    assert.equal(report.ok, true);
    assert.equal(p.status().workers[0]?.status, 'online');
    assertNoOrphans(p, driver);
    await p.stopAll();
  });

  it('remove of one instance (delete <instance id>): the others keep their processes and numbers; a scale-up fills the free number; a reload keeps them', async () => {
    const { pool: p, driver } = pool(spec({}, { instances: 3 }));
    await p.start();
    const [zero, one, two] = pids(p);
    const st = await p.removeInstance(1);
    assert.equal(st.instances, 2);
    assert.deepEqual(
      st.workers.map((w) => [w.instance, w.pid]),
      [
        [0, zero],
        [2, two],
      ],
    );
    assert.ok(driver.procs.find((x) => x.pid === one)?.exitedFlag, 'the removed instance exited');
    assert.equal(envOf(driver, two ?? null)?.NODE_APP_INSTANCE, '2', 'instance 2 keeps its NODE_APP_INSTANCE');
    // A reload replaces the instances there are, under their numbers.
    const report = await p.reload(undefined, 1);
    assert.deepEqual(report.replaced, [0, 2]);
    assert.deepEqual(
      p.status().workers.map((w) => w.instance),
      [0, 2],
    );
    // PM2 gives a new process the lowest free NODE_APP_INSTANCE.
    const up = await p.scale(3);
    assert.deepEqual(
      up.workers.map((w) => w.instance),
      [0, 1, 2],
    );
    assert.equal(envOf(driver, up.workers[1]?.pid ?? null)?.NODE_APP_INSTANCE, '1');
    const down = await p.scale(2);
    assert.deepEqual(
      down.workers.map((w) => w.instance),
      [0, 1],
      'a scale-down retires the highest numbers',
    );
    await assert.rejects(p.removeInstance(5), /no instance 5/);
    await p.removeInstance(0);
    await assert.rejects(p.removeInstance(1), /last instance/);
    assertNoOrphans(p, driver);
    await p.stopAll();
  });

  it('send: a line to the stdin of one instance, or to each running one', async () => {
    const { pool: p, driver } = pool(spec({}, { instances: 2 }));
    await p.start();
    const [zero, one] = pids(p);
    assert.deepEqual(p.sendLine(1, 'hello\n'), { bytes: 6, processes: 1 });
    assert.deepEqual(p.sendLine(null, 'all\n'), { bytes: 8, processes: 2 });
    assert.deepEqual(driver.procs.find((x) => x.pid === zero)?.stdin, ['all\n']);
    assert.deepEqual(driver.procs.find((x) => x.pid === one)?.stdin, ['hello\n', 'all\n']);
    assert.throws(() => p.sendLine(4, 'x\n'), /no instance 4/);
    await p.stopInstance(0);
    assert.throws(() => p.sendLine(0, 'x\n'), /no process of it runs/);
    await p.stopAll();
  });

  it('a stubborn worker is stopped with kill_signal then SIGKILL (the stop sequence)', async () => {
    const { pool: p, driver } = pool(spec({ MODE: 'stubborn' }, { instances: 1, killSignal: 'SIGINT' }));
    await p.start();
    const [old] = driver.procs;
    const report = await p.reload(spec({}, { instances: 1 }), 1);
    assert.equal(report.ok, true);
    assert.deepEqual(old?.signals, ['SIGINT', 'SIGKILL']);
    assert.ok(old?.exitedFlag);
    await p.stopAll();
  });

  it('holder stop during a reload ends every process, the new one included; later operations are refused', async () => {
    const { pool: p, driver } = pool(spec({}, { minReadyMs: 2000 }));
    await p.start();
    const reload = p.reload(spec({ V: '2' }, { minReadyMs: 2000 }), 1);
    await waitFor(() => driver.procs.length === 3 && p.status().reloading, 'the new process to start');
    await p.stopAll();
    assert.equal((await reload).ok, false);
    assert.deepEqual(driver.alive(), []);
    await assert.rejects(p.scale(3), /stopping/);
  });

  it('a spawn that fails during a reload fails it; during a start the policy restarts it', async () => {
    const { pool: p, driver } = pool();
    await p.start();
    driver.failSpawn = 'ENOENT: no such script';
    const report = await p.reload(undefined, 1);
    assert.equal(report.ok, false);
    assert.match(report.reason ?? '', /could not start: ENOENT/);
    assert.ok(p.status().workers.every((w) => w.status === 'online'));
    driver.failSpawn = null;
    await p.stopAll();
  });
});

describe('slot machine', () => {
  const s = spec();
  const step = (slot: Slot<string>, ...events: Array<SlotEvent<string>>) => {
    const effects: string[] = [];
    for (const e of events) {
      const t = transition(slot, e);
      slot = t.slot;
      effects.push(...t.effects.map((x) => x.type + ('run' in x ? `:${x.run}` : '')));
    }
    return { slot, effects };
  };
  const online = step(newSlot<string>(0, s).slot, { type: 'spawned', fresh: false, run: 'a' }, { type: 'ready', run: 'a' }).slot;

  it('start: launching → online; a start that times out is online anyway', () => {
    assert.equal(online.state.kind, 'online');
    const timedOut = step(newSlot<string>(0, s).slot, { type: 'spawned', fresh: false, run: 'a' }, { type: 'ready-timeout', run: 'a' });
    assert.equal(timedOut.slot.state.kind, 'online');
  });

  it('reload: the old process is retired only when the new one is proven', () => {
    const r = step(online, { type: 'replace', spec: s }, { type: 'spawned', fresh: true, run: 'b' }, { type: 'ready', run: 'b' });
    assert.equal(r.slot.state.kind, 'replacing');
    assert.deepEqual(r.effects, ['spawn', 'prove:b']);
    const done = step(r.slot, { type: 'proven', run: 'b' });
    assert.deepEqual(done.effects, ['retire:a', 'replaced']);
    assert.deepEqual(done.slot.state, { kind: 'online', run: 'b' });
  });

  it('reload: the old process crashing meanwhile is replaced by the new one; if that fails too, the policy restarts it', () => {
    const r = step(
      online,
      { type: 'replace', spec: s },
      { type: 'spawned', fresh: true, run: 'b' },
      { type: 'exit', run: 'a', exit: { code: 1, signal: null }, uptimeMs: 10 },
    );
    assert.equal(r.slot.state.kind, 'replacing');
    const failed = step(r.slot, { type: 'ready-timeout', run: 'b' });
    assert.deepEqual(failed.effects, ['kill:b', 'replaced', 'log', 'schedule-restart']);
    assert.equal(failed.slot.state.kind, 'waiting-restart');
  });

  it('a spawn that completes after the slot stopped waiting for it is killed; stale events change nothing', () => {
    const removed = step(newSlot<string>(0, s).slot, { type: 'remove' });
    assert.equal(removed.slot.state.kind, 'removed');
    assert.deepEqual(step(removed.slot, { type: 'spawned', fresh: false, run: 'z' }).effects, ['kill:z']);
    assert.equal(step(online, { type: 'exit', run: 'old', exit: { code: 0, signal: null }, uptimeMs: 5 }).slot, online);
    assert.equal(step(online, { type: 'proven', run: 'a' }).slot, online);
  });
});
