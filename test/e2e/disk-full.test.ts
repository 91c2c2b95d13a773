import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { markedPids, newMark } from '../helpers/marked.js';
import { fillDisk } from '../helpers/fill-disk.js';
import { needs, rootMissing } from '../helpers/needs.js';

const req = needs(rootMissing('mount a tmpfs'));

/**
 * TEND_HOME on a 2 MiB tmpfs, filled to the last byte while three apps run: the daemon must stay
 * up, keep supervising from memory, say "disk full" in ping/list/describe, refuse to claim a save
 * it could not write (keeping the old dump and backup), and write its state again once space
 * returns — so that a daemon kill afterwards restores what the user last asked for.
 */
describe('a full disk under TEND_HOME', () => {
  let mountPoint = '';
  let mounted = false;
  let t: TendHome;
  const mark = newMark();

  req.before(() => {
    mountPoint = mkdtempSync(join(tmpdir(), 'tend-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mountPoint]);
    mounted = true;
    t = new TendHome({ TEND_HOME: mountPoint, [mark.name]: mark.value });
  });
  after(async () => {
    // cleanup() cannot remove a mount point (EBUSY) once it has emptied it: expected here.
    if (t !== undefined) await t.cleanup().catch(() => undefined);
    if (mounted) execFileSync('umount', [mountPoint]);
    if (mountPoint !== '') rmSync(mountPoint, { recursive: true, force: true });
  });

  req.it('the daemon stays up, supervises from memory, reports it, and catches up when space returns', async () => {
    for (const n of ['a', 'b', 'c']) await t.json(['start', fixture('forever.js'), '--name', n]);
    assert.equal((await t.run(['save'])).code, 0);
    const dumpBefore = readFileSync(join(t.home, 'dump.json'));
    const daemon = t.daemonPid() as number;
    t.track(daemon);

    const filler = fillDisk(t.home);
    assert.equal((await t.run(['stop', 'a'])).code, 0);
    for (let i = 0; i < 5; i++) assert.equal((await t.run(['restart', 'b'])).code, 0);
    for (let i = 0; i < 3; i++) {
      const r = await t.run(['list', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: disk full/);
      const list = JSON.parse(r.stdout) as ProcessJson[];
      t.remember(list);
      assert.equal(list.find((p) => p.name === 'a')?.status, 'stopped', 'list shows what is true, not a stale file');
      assert.equal(list.find((p) => p.name === 'b')?.status, 'online');
    }
    assert.match((await t.run(['ping'])).stderr, /warning: disk full/);
    assert.match((await t.run(['describe', 'b'])).stderr, /warning: disk full/);
    assert.equal(t.daemonPid(), daemon, 'the same daemon');
    assert.ok(isAlive(daemon));
    assert.equal(markedPids(mark, 'a').length, 0);
    assert.equal(markedPids(mark, 'b').length, 1, 'one b, however many restarts');
    assert.equal(markedPids(mark, 'c').length, 1);

    // A save that cannot be written fails loudly and leaves the saved set as it was.
    const bak = join(t.home, 'dump.json.bak');
    const bakBefore = existsSync(bak) ? readFileSync(bak) : null;
    const save = await t.run(['save']);
    assert.equal(save.code, 1, save.stdout);
    assert.match(save.stderr, /could not write dump.*no space left on device \(ENOSPC\)/);
    assert.deepEqual(readFileSync(join(t.home, 'dump.json')), dumpBefore);
    assert.deepEqual(existsSync(bak) ? readFileSync(bak) : null, bakBefore, 'the backup is untouched too');

    // Space comes back: the state is written again without anyone asking.
    unlinkSync(filler);
    await waitFor(async () => (await t.run(['ping'])).stderr === '', 'the warnings to clear');
    const state = JSON.parse(readFileSync(join(t.home, 'state.json'), 'utf8')) as {
      apps: Array<{ spec: { name: string }; snapshot: { state: string } }>;
    };
    assert.equal(state.apps.find((r) => r.spec.name === 'a')?.snapshot.state, 'stopped');

    // So a daemon kill now restores what the user asked for: a stays stopped, one b, one c.
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    const after = await t.list();
    t.remember(after);
    assert.deepEqual(
      after.map((p) => [p.name, p.status]),
      [
        ['a', 'stopped'],
        ['b', 'online'],
        ['c', 'online'],
      ],
    );
    await t.run(['ping']);
    assert.equal(markedPids(mark, 'a').length, 0);
    assert.equal(markedPids(mark, 'b').length, 1);
    assert.equal(markedPids(mark, 'c').length, 1);

    // A daemon killed while the disk is full: the next one starts anyway (no pid file, no state
    // write needed), adopts every app, and restarts still work, one copy each.
    const full = fillDisk(t.home);
    const second = t.daemonPid() as number;
    t.track(second);
    process.kill(second, 'SIGKILL');
    await waitFor(() => !isAlive(second), 'the daemon to die');
    const r = await t.run(['list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: disk full/);
    const adopted = JSON.parse(r.stdout) as ProcessJson[];
    t.remember(adopted);
    assert.deepEqual(
      adopted.map((p) => [p.name, p.status, p.pid]),
      after.map((p) => [p.name, p.status, p.pid]),
    );
    assert.equal((await t.run(['restart', 'c'])).code, 0);
    assert.equal(markedPids(mark, 'c').length, 1);
    assert.equal(markedPids(mark, 'b').length, 1);
    unlinkSync(full);
    await waitFor(async () => (await t.run(['ping'])).stderr === '', 'the warnings to clear again');
    assert.equal((await t.run(['kill'])).code, 0);
    await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave nothing');
  });
});
