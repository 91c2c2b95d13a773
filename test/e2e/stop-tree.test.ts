import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

/** Reads the pids the fork-grandchild fixture printed. */
async function treePids(t: TendHome, name: string): Promise<number[]> {
  return waitFor(() => {
    const text = readFileSync(join(t.home, 'logs', `${name}-out.log`), 'utf8');
    const objs = text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, number>);
    const pids = objs.flatMap((o) => Object.values(o));
    return pids.length >= 4 ? pids : undefined;
  }, 'the tree to print its pids');
}

describe('stop and delete leave no process of the tree', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('stop kills children, grandchildren, a SIGTERM-ignoring child and a setsid-escaped one', async () => {
    const [p] = await t.json<ProcessJson[]>([
      'start',
      fixture('fork-grandchild.js'),
      '--name',
      'tree',
      '--kill-timeout',
      '800',
      '--kill-signal',
      'SIGTERM',
    ]);
    const pids = await treePids(t, 'tree');
    for (const pid of pids) t.track(pid);
    assert.ok(pids.includes(p?.pid as number));
    for (const pid of pids) assert.ok(isAlive(pid), `pid ${pid} should run before the stop`);
    const started = Date.now();
    const [s] = await t.json<ProcessJson[]>(['stop', 'tree']);
    assert.equal(s?.status, 'stopped');
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} survived the stop`);
    assert.ok(Date.now() - started >= 700, 'SIGTERM-ignoring members were not given the grace period');
    const [d] = await t.json<Array<{ lastExit: { forced: boolean } }>>(['describe', 'tree']);
    assert.equal(d?.lastExit.forced, true);
  });

  it('delete does the same, and an app that ignores SIGTERM is SIGKILLed after kill-timeout', async () => {
    await t.json(['start', fixture('ignore-sigterm.js'), '--name', 'stubborn', '--kill-timeout', '500', '--kill-signal', 'SIGTERM']);
    await t.json(['start', fixture('fork-grandchild.js'), '--name', 'tree2', '--kill-timeout', '500', '--kill-signal', 'SIGTERM']);
    const pids = await treePids(t, 'tree2');
    const stubborn = await t.app('stubborn');
    for (const pid of pids) t.track(pid);
    await t.json(['delete', 'stubborn', 'tree2']);
    for (const pid of [...pids, stubborn.pid as number]) assert.equal(isAlive(pid), false, `pid ${pid} survived delete`);
    assert.deepEqual(
      (await t.list()).map((a) => a.name),
      ['tree'],
    );
  });

  it("a crashed app's leftover children are stopped before it restarts", async () => {
    const [p] = await t.json<ProcessJson[]>([
      'start',
      fixture('fork-grandchild.js'),
      '--name',
      'orphans',
      '--kill-timeout',
      '500',
      '--kill-signal',
      'SIGTERM',
    ]);
    const pids = await treePids(t, 'orphans');
    for (const pid of pids) t.track(pid);
    process.kill(p?.pid as number, 'SIGKILL');
    await waitFor(async () => {
      const a = await t.app('orphans');
      return a.restarts === 1 && a.status === 'online' ? a : undefined;
    }, 'the restart');
    for (const pid of pids) assert.equal(isAlive(pid), false, `leftover ${pid} of the crashed incarnation survived`);
    await t.json(['delete', 'orphans']);
  });
});
