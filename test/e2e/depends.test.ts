import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';

type Info = ProcessJson & { startedAt: number | null; lastExit: (ProcessJson['lastExit'] & { at: number }) | null };

describe('depends_on: start order, waiting, reverse stop', () => {
  let t: TendHome;
  const file = (name: string, apps: unknown[]): string => {
    const path = join(t.home, name);
    writeFileSync(path, JSON.stringify({ apps }));
    return path;
  };
  const app = async (name: string): Promise<Info> => (await t.app(name)) as Info;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('an app waits, with the reason shown, until its dependency is ready; stop of the file goes in reverse order', async () => {
    const f = file('stack.config.json', [
      { name: 'api', script: fixture('forever.js'), depends_on: { db: 'ready' } },
      { name: 'db', script: fixture('ready-after.js'), wait_ready: true, listen_timeout: '20s', env: { READY_AFTER_MS: '1500' } },
      { name: 'web', script: fixture('forever.js'), depends_on: ['api'] },
    ]);
    const r = await t.run(['start', f, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const first = JSON.parse(r.stdout) as Array<{ name: string; status: string; reason: string | null }>;
    assert.deepEqual(
      first.map((p) => p.name),
      ['db', 'api', 'web'],
      'applied in dependency order',
    );
    const api0 = first.find((p) => p.name === 'api');
    assert.equal(api0?.status, 'waiting');
    assert.match(api0?.reason ?? '', /waiting for db \(ready\)/);
    await waitFor(async () => (await app('web')).status === 'online', 'web online', 20_000);
    const [db, api, web] = [await app('db'), await app('api'), await app('web')];
    assert.ok((api.startedAt ?? 0) >= (db.startedAt ?? 0) + 1000, 'api started after db said ready');
    assert.ok((web.startedAt ?? 0) >= (api.startedAt ?? 0));
    assert.equal(api.reason, null);

    const stop = await t.run(['stop', f, '--json']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(
      (JSON.parse(stop.stdout) as Info[]).map((p) => p.name),
      ['web', 'api', 'db'],
    );
    const [db2, api2, web2] = [await app('db'), await app('api'), await app('web')];
    assert.ok(
      (web2.lastExit?.at ?? 0) <= (api2.lastExit?.at ?? 0) && (api2.lastExit?.at ?? 0) <= (db2.lastExit?.at ?? 0),
      'web, then api, then db',
    );
    const del = await t.run(['delete', f, '--json']);
    assert.deepEqual(
      (JSON.parse(del.stdout) as Info[]).map((p) => p.name),
      ['web', 'api', 'db'],
    );
  });

  it('a dependency that errors leaves its dependents waiting with the reason', async () => {
    const f = file('broken.config.json', [
      {
        name: 'bad-db',
        script: fixture('crash-after.js'),
        wait_ready: true,
        listen_timeout: '20s',
        max_restarts: 0,
        env: { CRASH_AFTER_MS: '300' },
      },
      { name: 'needs-db', script: fixture('forever.js'), depends_on: { 'bad-db': 'ready' } },
    ]);
    await t.run(['start', f]);
    const w = await waitFor(async () => {
      const a = await app('needs-db');
      return a.status === 'waiting' && /bad-db is errored/.test(a.reason ?? '') ? a : undefined;
    }, 'needs-db waiting on an errored bad-db');
    assert.equal(w.pid, null);
    const listed = await t.run(['list']);
    assert.match(listed.stdout, /needs-db +\S+ +waiting/);
    const d = await t.run(['describe', 'needs-db']);
    assert.match(d.stdout, /bad-db is errored/);
    await t.run(['delete', f]);
  });

  it('tend save keeps an app that waits for its dependency (the user started it)', async () => {
    const f = file('held.config.json', [
      { name: 'slow-db', script: fixture('forever.js'), health: { exec: 'false', interval: '1s', retries: 1000 } },
      { name: 'held', script: fixture('forever.js'), depends_on: { 'slow-db': 'healthy' } },
    ]);
    assert.equal((await t.run(['start', f])).code, 0);
    assert.equal((await app('held')).status, 'waiting');
    const r = await t.run(['save']);
    assert.equal(r.code, 0, r.stderr);
    const dump = JSON.parse(readFileSync(join(t.home, 'dump.json'), 'utf8')) as { apps: Array<{ name: string }> };
    assert.ok(
      dump.apps.some((a) => a.name === 'held'),
      `saved: ${dump.apps.map((a) => a.name).join(', ')}`,
    );
    await t.run(['delete', f]);
  });

  it('refuses a cycle or an unknown app at load, with one line naming the apps; the daemon stays up', async () => {
    const cyc = file('cycle.config.json', [
      { name: 'a', script: fixture('forever.js'), depends_on: ['b'] },
      { name: 'b', script: fixture('forever.js'), depends_on: ['c'] },
      { name: 'c', script: fixture('forever.js'), depends_on: ['a'] },
    ]);
    const r = await t.run(['start', cyc]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /cycle: a → b → c → a/);
    const unk = file('unknown.config.json', [{ name: 'a', script: fixture('forever.js'), depends_on: ['nope'] }]);
    const u = await t.run(['start', unk]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /`a` depends on `nope`, which is not an app of this file/);
    const bad = file('badcond.config.json', [{ name: 'a', script: fixture('forever.js'), depends_on: { b: 'soon' } }]);
    const b = await t.run(['start', bad]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /depends_on\.b/);
    assert.deepEqual(
      (await t.list()).filter((p) => ['a', 'b', 'c'].includes(p.name)),
      [],
    );
    assert.equal((await t.run(['ping'])).code, 0);
  });
});
