import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture } from '../helpers/tend.js';

interface Step {
  name: string;
  action: string;
  changed: string[];
}

describe('tend apply --dry-run and --prune', () => {
  let t: TendHome;
  let f = '';
  const write = (apps: unknown[]): void => {
    writeFileSync(f, JSON.stringify({ apps }));
  };
  const pids = async (): Promise<Record<string, number | null>> => Object.fromEntries((await t.list()).map((p) => [p.name, p.pid]));
  before(() => {
    t = new TendHome();
    f = join(t.home, 'stack.config.json');
  });
  after(async () => {
    await t.cleanup();
  });

  it("says what would change and why, changes nothing, then --prune deletes only the file's own apps", async () => {
    write([
      { name: 'a', script: fixture('forever.js') },
      { name: 'b', script: fixture('forever.js'), env: { MODE: 'one', API_TOKEN: 'old-secret' } },
      { name: 'c', script: fixture('forever.js'), kill_timeout: '3s' },
    ]);
    assert.equal((await t.run(['apply', f])).code, 0);
    await t.json(['start', fixture('forever.js'), '--name', 'byhand']);
    assert.equal((await t.run(['stop', 'c'])).code, 0);
    const before = await pids();

    // a is gone from the file, b's variables change, c is stopped and changes, d is new.
    write([
      { name: 'b', script: fixture('forever.js'), env: { MODE: 'two', API_TOKEN: 'new-secret' }, restart_delay: '2s' },
      { name: 'c', script: fixture('forever.js'), kill_timeout: '5s' },
      { name: 'd', script: fixture('forever.js') },
    ]);
    const dry = await t.run(['apply', f, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      dry.stdout,
      [
        'b: restart (changed: env.MODE, env.API_TOKEN, restart_delay)',
        'c: start (changed: kill_timeout)',
        'd: create and start (new)',
        'dry run: nothing was changed',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(dry.stdout, /secret/, 'values are never shown');
    const pruned = JSON.parse((await t.run(['apply', f, '--dry-run', '--prune', '--json'])).stdout) as Step[];
    assert.deepEqual(
      pruned.map((s) => [s.name, s.action]),
      [
        ['b', 'restarted'],
        ['c', 'started'],
        ['d', 'created'],
        ['a', 'deleted'],
      ],
    );
    assert.deepEqual(await pids(), before, 'a dry run changes nothing');
    assert.equal((await t.list()).find((p) => p.name === 'c')?.status, 'stopped');

    const refused = await t.run(['apply', f, '--prune', '--only', 'b']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--prune.*--only/);

    const real = await t.run(['apply', f, '--prune']);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /b: restarted, c: started, d: created, a: deleted/);
    const after = await t.list();
    assert.deepEqual(after.map((p) => p.name).sort(), ['b', 'byhand', 'c', 'd'], "the app started by hand is not the file's: kept");
    assert.notEqual(after.find((p) => p.name === 'b')?.pid, before.b);
    assert.equal(after.find((p) => p.name === 'byhand')?.pid, before.byhand);

    // Applied again: nothing to do, and the plan says so.
    const again = await t.run(['apply', f, '--dry-run', '--prune']);
    assert.equal(again.stdout, 'b: unchanged\nc: unchanged\nd: unchanged\ndry run: nothing was changed\n');
  });

  it("an unchanged app applied from a renamed file is that file's now: --prune of it removes what it dropped", async () => {
    const old = join(t.home, 'old.config.json');
    const renamed = join(t.home, 'renamed.config.json');
    const two = [
      { name: 'm1', script: fixture('forever.js') },
      { name: 'm2', script: fixture('forever.js') },
    ];
    writeFileSync(old, JSON.stringify({ apps: two }));
    assert.equal((await t.run(['apply', old])).code, 0);
    writeFileSync(renamed, JSON.stringify({ apps: two }));
    assert.match((await t.run(['apply', renamed])).stdout, /m1: unchanged, m2: unchanged/);
    writeFileSync(renamed, JSON.stringify({ apps: two.slice(0, 1) }));
    const plan = await t.json<Step[]>(['apply', renamed, '--prune', '--dry-run']);
    assert.deepEqual(
      plan.map((s) => [s.name, s.action]),
      [
        ['m1', 'unchanged'],
        ['m2', 'deleted'],
      ],
    );
  });

  it('a dry run reports an app the file cannot describe, with exit code 1', async () => {
    write([
      { name: 'b', script: fixture('forever.js'), env: { MODE: 'two', API_TOKEN: 'new-secret' }, restart_delay: '2s' },
      { name: 'broken', script: join(t.home, 'missing.js') },
    ]);
    const r = await t.run(['apply', f, '--dry-run']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^b: unchanged$/m);
    assert.match(r.stderr, /broken would not start/);
  });
});
