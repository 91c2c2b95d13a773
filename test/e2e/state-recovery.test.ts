import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { markedHomes, markedPids } from '../helpers/marked.js';

/**
 * A daemon killed at random instants of a `restart all`, or a state.json that is corrupt, of an
 * unknown version or lost with its backup: the next daemon ends with exactly one run per app,
 * adopted and managed (no duplicate, no orphan), and says loudly what it recovered.
 */
describe('daemon kills at random instants and bad state files', () => {
  const homes = markedHomes();
  after(() => homes.cleanup());
  const home = homes.home;

  /** Kills the running daemon with SIGKILL and waits for it to be gone. */
  async function killDaemon(t: TendHome): Promise<void> {
    const pid = t.daemonPid() as number;
    t.track(pid);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 'the daemon to die');
  }

  it('a kill -9 at random instants of `restart all`: never a duplicate or an orphan', async () => {
    const { t, mark } = home();
    const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
    for (const n of names) await t.json(['start', fixture('forever.js'), '--name', n]);
    for (let trial = 0; trial < 3; trial++) {
      const daemon = t.daemonPid() as number;
      t.track(daemon);
      const restarting = t.run(['restart', 'all']);
      await new Promise((r) => setTimeout(r, 5 + trial * 15));
      process.kill(daemon, 'SIGKILL');
      await restarting;
      await waitFor(() => !isAlive(daemon), 'the daemon to die');
      const list = await t.list();
      t.remember(list);
      // Give a restore that (wrongly) restarts apps the time to do so, then count.
      await waitFor(async () => (await t.list()).every((p) => p.status === 'online'), 'every app online again');
      for (const n of names) {
        const pids = markedPids(mark, n);
        assert.equal(pids.length, 1, `trial ${trial}: ${n} has ${pids.length} process(es)`);
        assert.equal((await t.app(n)).pid, pids[0], `trial ${trial}: ${n} is managed`);
      }
    }
    assert.equal((await t.run(['kill'])).code, 0);
    await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing');
  });

  for (const [what, content] of [
    ['corrupt', '{"version":1,"nextId":2,"apps":[{"id":0,'],
    ['of an unknown version', '{"version":99,"nextId":2,"apps":[]}'],
  ] as const) {
    it(`a state.json ${what}: set aside, apps recovered, and said loudly`, async () => {
      const { t, mark } = home();
      const [a] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'a']);
      const [b] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'b']);
      // A change after both were recorded, so the backup holds them.
      await t.run(['restart', 'b']);
      await killDaemon(t);
      writeFileSync(join(t.home, 'state.json'), content);
      const r = await t.run(['list', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: state recovered: state\.json could not be used/);
      const list = JSON.parse(r.stdout) as ProcessJson[];
      t.remember(list);
      assert.deepEqual(list.map((p) => p.name).sort(), ['a', 'b']);
      assert.equal(list.find((p) => p.name === 'a')?.pid, a?.pid);
      assert.ok(list.every((p) => p.status === 'online'));
      assert.notEqual(b?.pid, undefined);
      assert.equal(markedPids(mark).length, 2, 'no second copy');
      const kept = readFileSync(join(t.home, 'daemon.log'), 'utf8');
      assert.match(kept, /state\.json\.bad-/);
      const ping = await t.run(['ping']);
      assert.match(ping.stderr, /warning: state recovered/);
      assert.equal((await t.run(['kill'])).code, 0);
      await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing');
    });
  }

  it("state.json and its backup both lost: the home's processes are found by token and stopped, never left unmanaged", async () => {
    const { t, mark } = home();
    await t.json(['start', fixture('forever.js'), '--name', 'a']);
    await killDaemon(t);
    writeFileSync(join(t.home, 'state.json'), 'garbage');
    if (existsSync(join(t.home, 'state.json.bak'))) unlinkSync(join(t.home, 'state.json.bak'));
    const r = await t.run(['list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: state recovered/);
    await waitFor(() => markedPids(mark).length === 0, 'the unmanaged run to be stopped');
    assert.match(readFileSync(join(t.home, 'daemon.log'), 'utf8'), /stopping 1 process\(es\) of unknown app id 0 found by run token/);
  });
});
