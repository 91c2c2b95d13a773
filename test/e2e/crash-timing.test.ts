import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, isAlive, waitFor } from '../helpers/tend.js';
import { markedHomes, markedPids } from '../helpers/marked.js';

/**
 * A daemon killed at the worst instants — before a spawn it recorded, right after a spawn before
 * anything else is written, after recording a stop before signalling — must leave the next
 * daemon with each app as the user asked and exactly one process per running app: no duplicate,
 * no orphan, nothing `tend kill` leaves behind (fault points in src/supervisor/process-handle.ts).
 */
describe('crash timing: never a duplicate, never an orphan', () => {
  const homes = markedHomes();
  after(() => homes.cleanup());
  const home = homes.home;

  /** Re-launches a daemon whose Nth spawn kills it (the fault point in process-handle.ts). */
  async function armFault(t: TendHome): Promise<void> {
    const r = await t.run(['daemon', 'restart'], { env: { ...t.env, TEND_TEST_KILL_AT: 'after-spawn:1' } });
    assert.equal(r.code, 0, r.stderr);
  }

  it("a kill -9 right after a restart's spawn: the new run is adopted, no second copy starts", async () => {
    const { t, mark } = home();
    await t.json(['start', fixture('forever.js'), '--name', 'a']);
    await armFault(t);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    const r = await t.run(['restart', 'a']);
    assert.notEqual(r.code, 0, 'the daemon died during the restart');
    await waitFor(() => !isAlive(daemon), 'the daemon to kill itself after the spawn');
    const alive = await waitFor(() => {
      const p = markedPids(mark, 'a');
      return p.length === 1 ? p : undefined;
    }, 'the restarted run');
    const list = await t.list();
    t.remember(list);
    assert.equal(list.length, 1);
    assert.equal(list[0]?.status, 'online');
    assert.equal(list[0]?.pid, alive[0], 'the run found by its token is the one adopted');
    assert.equal(list[0]?.adopted, true);
    // Nothing else comes up later (a restore that restarted the app would show here).
    await t.run(['ping']);
    assert.deepEqual(markedPids(mark, 'a'), alive);
    assert.equal((await t.run(['kill'])).code, 0);
    await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave no process of the app');
  });

  it('a kill -9 right after the first spawn of a new app: the app is known to the next daemon', async () => {
    const { t, mark } = home();
    await t.json(['start', fixture('forever.js'), '--name', 'old']);
    await armFault(t);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    const r = await t.run(['start', fixture('forever.js'), '--name', 'fresh']);
    assert.notEqual(r.code, 0);
    await waitFor(() => !isAlive(daemon), 'the daemon to kill itself after the spawn');
    const fresh = await waitFor(() => {
      const p = markedPids(mark, 'fresh');
      return p.length === 1 ? p : undefined;
    }, "the new app's run");
    const list = await t.list();
    t.remember(list);
    assert.deepEqual(list.map((p) => p.name).sort(), ['fresh', 'old']);
    assert.equal(list.find((p) => p.name === 'fresh')?.pid, fresh[0]);
    assert.equal(list.find((p) => p.name === 'fresh')?.status, 'online');
    await t.run(['ping']);
    assert.equal(markedPids(mark, 'fresh').length, 1, 'exactly one copy');
    assert.equal((await t.run(['kill'])).code, 0);
    await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing');
  });

  // posix_spawn finishes on libuv's pool: between the child's exec and the daemon learning its
  // pid, the app is `launching` with no pid. TEND_TEST_LAUNCH_DELAY_MS widens that window.
  it('a stop sent while the spawn is under way stops the new process once its pid is known', async () => {
    const { t, mark } = home();
    const env = { ...t.env, TEND_TEST_LAUNCH_DELAY_MS: '1500' };
    assert.equal((await t.run(['ping'], { env })).code, 0);
    t.track(t.daemonPid() as number);
    const starting = t.run(['start', fixture('forever.js'), '--name', 'a']);
    const [pid] = await waitFor(() => {
      const p = markedPids(mark, 'a');
      return p.length === 1 ? p : undefined;
    }, 'the child to exist');
    t.track(pid as number);
    const launching = (await t.list()).find((p) => p.name === 'a');
    assert.deepEqual([launching?.status, launching?.pid], ['launching', null], 'the daemon does not know the pid yet');
    const stopped = await t.run(['stop', 'a']);
    assert.equal(stopped.code, 0, stopped.stderr);
    await starting;
    assert.deepEqual(markedPids(mark, 'a'), [], 'the stop reached the process that was being launched');
    const after = (await t.list()).find((p) => p.name === 'a');
    assert.deepEqual([after?.status, after?.pid], ['stopped', null]);
    assert.equal((await t.run(['kill'])).code, 0);
  });

  it('a kill -9 of the daemon while a spawn is under way: the next daemon adopts that run, no second copy', async () => {
    const { t, mark } = home();
    const env = { ...t.env, TEND_TEST_LAUNCH_DELAY_MS: '1500' };
    assert.equal((await t.run(['ping'], { env })).code, 0);
    const daemon = t.daemonPid() as number;
    t.track(daemon);
    const starting = t.run(['start', fixture('forever.js'), '--name', 'a']);
    const [pid] = await waitFor(() => {
      const p = markedPids(mark, 'a');
      return p.length === 1 ? p : undefined;
    }, 'the child to exist');
    process.kill(daemon, 'SIGKILL');
    assert.notEqual((await starting).code, 0, 'the start lost its daemon');
    const list = await t.list();
    t.remember(list);
    assert.deepEqual(
      list.map((p) => [p.name, p.status, p.pid, p.adopted]),
      [['a', 'online', pid, true]],
    );
    await t.run(['ping']);
    assert.deepEqual(markedPids(mark, 'a'), [pid], 'exactly one copy');
    assert.equal((await t.run(['kill'])).code, 0);
    await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing');
  });

  // Every instant class of a restart or a stop, at the 1st and 3rd app: the daemon dies there.
  const points: Array<[string, number, string[], (names: string[]) => Record<string, string>]> = [
    ['before-spawn', 1, ['restart', 'all'], (n) => Object.fromEntries(n.map((x) => [x, 'online']))],
    ['after-spawn', 3, ['restart', 'all'], (n) => Object.fromEntries(n.map((x) => [x, 'online']))],
    ['after-stop-intent', 1, ['stop', 'p1'], (n) => Object.fromEntries(n.map((x) => [x, x === 'p1' ? 'stopped' : 'online']))],
    ['after-stop-intent', 1, ['delete', 'p2'], (n) => Object.fromEntries(n.filter((x) => x !== 'p2').map((x) => [x, 'online']))],
  ];
  for (const [point, nth, command, expected] of points) {
    it(`a kill -9 at ${point} #${nth} of \`tend ${command.join(' ')}\`: each app ends as asked, one process each`, async () => {
      const { t, mark } = home();
      const names = ['p0', 'p1', 'p2', 'p3'];
      for (const n of names) await t.json(['start', fixture('forever.js'), '--name', n]);
      const r0 = await t.run(['daemon', 'restart'], { env: { ...t.env, TEND_TEST_KILL_AT: `${point}:${nth}` } });
      assert.equal(r0.code, 0, r0.stderr);
      const daemon = t.daemonPid() as number;
      t.track(daemon);
      const r = await t.run(command);
      assert.notEqual(r.code, 0, 'the daemon died during the command');
      await waitFor(() => !isAlive(daemon), 'the daemon to kill itself');
      const want = expected(names);
      // Settled: statuses as asked and each running app's pid is its live marked run (right after
      // the restore an app can still show the pid of a run that is exiting).
      await waitFor(
        async () => {
          const list = await t.list();
          t.remember(list);
          const settled = list.every((p) => p.status !== 'online' || markedPids(mark, p.name).includes(p.pid as number));
          return settled && JSON.stringify(Object.fromEntries(list.map((p) => [p.name, p.status]))) === JSON.stringify(want);
        },
        `every app as asked: ${JSON.stringify(want)}`,
      );
      for (const n of names) {
        const pids = markedPids(mark, n);
        const app = (await t.list()).find((p) => p.name === n);
        assert.equal(pids.length, want[n] === 'online' ? 1 : 0, `${n}: ${pids.length} process(es)`);
        if (want[n] === 'online') assert.equal(app?.pid, pids[0], `${n} is managed`);
      }
      assert.equal((await t.run(['kill'])).code, 0);
      await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing');
    });
  }
});
