import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { markedPids, newMark } from '../helpers/marked.js';
import { needs } from '../helpers/needs.js';

const asRoot = needs(
  (process.getuid?.() ?? 1) !== 0 ? 'needs root (login users keep FIFOs in the home)' : !existsSync('/dev/shm') ? 'no /dev/shm' : null,
);

/** The daemon's own line about how it spawns and where its FIFOs are. */
function readyLine(t: TendHome): { spawner: string; pipes: string } {
  const line = readFileSync(join(t.home, 'daemon.log'), 'utf8')
    .split('\n')
    .find((l) => l.includes('"daemon-ready"'));
  return JSON.parse(line ?? '{}') as { spawner: string; pipes: string };
}

describe('how the daemon starts apps', () => {
  const homes: TendHome[] = [];
  after(async () => {
    for (const h of homes) await h.cleanup();
  });

  for (const spawner of ['posix_spawn', 'child_process'] as const) {
    it(`${spawner}: apps start in their own session, restart, say ready over IPC, and stop with nothing left`, async () => {
      const mark = newMark();
      const t = new TendHome({ [mark.name]: mark.value, ...(spawner === 'child_process' ? { TEND_SPAWNER: 'node' } : {}) });
      homes.push(t);
      const [a] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'a']);
      const [r] = await t.json<ProcessJson[]>([
        'start',
        fixture('ready-after.js'),
        '--name',
        'r',
        '--wait-ready',
        '--listen-timeout',
        '20s',
      ]);
      assert.equal(readyLine(t).spawner, spawner);
      assert.equal(a?.status, 'online');
      assert.equal(r?.status, 'online', 'online on its ready message, long before the 20 s listen timeout');
      const stat = readFileSync(`/proc/${a?.pid}/stat`, 'utf8');
      assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]), a?.pid, 'a session of its own');
      const [again] = await t.json<ProcessJson[]>(['restart', 'a']);
      assert.notEqual(again?.pid, a?.pid);
      assert.equal(isAlive(a?.pid as number), false);
      // A crash is seen and restarted like any exit.
      process.kill(again?.pid as number, 'SIGKILL');
      const back = await waitFor(
        async () => (await t.list()).find((p) => p.name === 'a' && p.status === 'online' && p.pid !== again?.pid),
        'a restart after the crash',
      );
      assert.equal(back.restarts, 2);
      assert.equal((await t.run(['kill'])).code, 0);
      await waitFor(() => markedPids(mark).length === 0, 'tend kill to leave no process');
    });
  }

  asRoot.it('root keeps the FIFOs on tmpfs behind TEND_HOME/pipes; tend kill removes them', async () => {
    const t = new TendHome();
    homes.push(t);
    await t.json(['start', fixture('forever.js'), '--name', 'a']);
    const pipes = join(t.home, 'pipes');
    assert.ok(lstatSync(pipes).isSymbolicLink());
    const target = readlinkSync(pipes);
    assert.match(readyLine(t).pipes, new RegExp(target));
    assert.ok(existsSync(join(target, '0.out')));
    assert.equal((await t.run(['kill'])).code, 0);
    assert.equal(existsSync(target), false);
  });
});
