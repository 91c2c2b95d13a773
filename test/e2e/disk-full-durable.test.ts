import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { markedPids, newMark } from '../helpers/marked.js';
import { fillDisk } from '../helpers/fill-disk.js';
import { needs } from '../helpers/needs.js';

const root = needs(process.getuid?.() === 0 ? null : 'root, to mount a small tmpfs');

/**
 * No change tend acknowledged is undone by a daemon restart or a `kill -9`, full disk or not
 * (issue 19, item 2): TEND_HOME on a 2 MiB tmpfs, filled by an app's own log and then to the last
 * byte. A stop answered `ok` stays a stop across `tend daemon restart` and across a `kill -9`; a
 * change tend cannot record is refused with an error, never answered `ok`.
 */
describe('a full disk never undoes an acknowledged change', () => {
  let mountPoint = '';
  let t: TendHome;
  const mark = newMark();

  root.before(() => {
    mountPoint = mkdtempSync(join(tmpdir(), 'tend-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mountPoint]);
    t = new TendHome({ TEND_HOME: mountPoint, [mark.name]: mark.value });
  });
  root.after(async () => {
    await t.cleanup().catch(() => undefined);
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  const statuses = async (): Promise<Record<string, string>> => {
    const r = await t.run(['list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as ProcessJson[];
    t.remember(list);
    return Object.fromEntries(list.map((p) => [p.name, p.status]));
  };

  /** The daemon's pid from `ping` (on a full disk a daemon may have no pid file). */
  const daemonPid = async (): Promise<number> => {
    const r = await t.run(['ping']);
    const pid = Number(/daemon (\d+)/.exec(r.stdout)?.[1]);
    assert.ok(pid > 0, r.stdout + r.stderr);
    t.track(pid);
    return pid;
  };

  root.it('a stop on a full disk survives a graceful daemon restart and a kill -9; what cannot be recorded is refused', async () => {
    for (const n of ['calm', 'other']) await t.json(['start', fixture('forever.js'), '--name', n]);
    await t.json(['start', fixture('numbered-lines.js'), '--name', 'flood', '--env', 'BURST=500']);
    // The flood's log fills the disk (no state write fails: nothing changes meanwhile). Then an
    // admin's clean-up removes state.json.bak, and the space it freed is taken at once: no
    // state.json can be written from here (replacing the backup would otherwise free the pages
    // of a state as large as the next one).
    await waitFor(() => statfsSync(t.home).bavail === 0, 'the flood to fill the disk', 30_000, 20);
    unlinkSync(join(t.home, 'state.json.bak'));
    fillDisk(t.home, 'filler');
    const first = t.daemonPid() as number;
    t.track(first);

    const stop = await t.run(['stop', 'flood']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(markedPids(mark, 'flood').length, 0);

    // A graceful restart: the old daemon cannot write state.json, the new one must not undo the stop.
    const restart = await t.run(['daemon', 'restart']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.notEqual(await daemonPid(), first);
    assert.deepEqual(await statuses(), { flood: 'stopped', calm: 'online', other: 'online' });
    await t.run(['ping']);
    assert.equal(markedPids(mark, 'flood').length, 0, 'the stopped app did not come back');

    // A kill -9 with the disk still full: a stop and a restart acknowledged meanwhile hold.
    assert.equal((await t.run(['stop', 'other'])).code, 0);
    const calmBefore = markedPids(mark, 'calm');
    assert.equal((await t.run(['restart', 'calm'])).code, 0);
    const second = await daemonPid();
    process.kill(second, 'SIGKILL');
    await waitFor(() => !isAlive(second), 'the daemon to die');
    assert.deepEqual(await statuses(), { flood: 'stopped', calm: 'online', other: 'stopped' });
    await t.run(['ping']);
    assert.equal(markedPids(mark, 'flood').length, 0);
    assert.equal(markedPids(mark, 'other').length, 0);
    const calm = markedPids(mark, 'calm');
    assert.equal(calm.length, 1, 'one calm');
    assert.notDeepEqual(calm, calmBefore, 'the restart held');

    // Changes too big for the journal's reserved space are refused, never acknowledged.
    const big = 'x'.repeat(60_000);
    let refused: { code: number; stderr: string } | null = null;
    const started: string[] = [];
    for (let i = 0; i < 12 && refused === null; i++) {
      const r = await t.run(['start', fixture('forever.js'), '--name', `big${i}`, '--env', `BIG=${big}`]);
      if (r.code === 0) started.push(`big${i}`);
      else refused = r;
    }
    assert.ok(refused !== null, 'a start was refused once the journal was full');
    assert.match(refused.stderr, /not done: tend could not record it .*no space left on device/);
    const refusedName = `big${started.length}`;
    const third = await daemonPid();
    process.kill(third, 'SIGKILL');
    await waitFor(() => !isAlive(third), 'the daemon to die');
    const after = await statuses();
    for (const n of started) assert.equal(after[n], 'online', `${n}, acknowledged, runs`);
    assert.equal(after[refusedName], undefined, 'the refused start did not happen');
    assert.equal(markedPids(mark, refusedName).length, 0);
    await daemonPid();
    assert.equal((await t.run(['kill'])).code, 0);
    await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing');
  });
});
