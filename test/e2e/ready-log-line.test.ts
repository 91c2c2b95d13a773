import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';

type Info = ProcessJson & { startedAt: number | null };

describe('ready_log_line: readiness from a line of output', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('start returns when the line comes (not on the timeout), and a restart waits for it again', async () => {
    const t0 = Date.now();
    const [p] = await t.json<Info[]>([
      'start',
      fixture('log-ready.js'),
      '--name',
      'api',
      '--ready-log-line',
      'up on port \\d+',
      '--listen-timeout',
      '30s',
      '--env',
      'READY_AFTER_MS=1500',
    ]);
    const took = Date.now() - t0;
    assert.equal(p?.status, 'online');
    assert.equal(p?.reason, null, 'online because of the line, not the listen_timeout');
    assert.ok(took >= 1400, `start waited for the line (${took} ms)`);
    assert.ok(took < 25_000, `and not for the 30 s timeout (${took} ms)`);
    const t1 = Date.now();
    const [r] = await t.json<Info[]>(['restart', 'api']);
    assert.equal(r?.status, 'online');
    assert.ok(Date.now() - t1 >= 1400, "the restart waited for the new process's line");
    const d = (await t.run(['describe', 'api'])).stdout;
    assert.match(d, /up on port/);
  });

  it('a line on stdout counts too; one that never comes leaves the app launching until listen_timeout', async () => {
    const [out] = await t.json<Info[]>([
      'start',
      fixture('log-ready.js'),
      '--name',
      'outapp',
      '--ready-log-line',
      '^server up on port 4\\d+$',
      '--listen-timeout',
      '30s',
      '--env',
      'READY_STREAM=out',
      '--env',
      'PORT=4000',
      '--env',
      'READY_AFTER_MS=300',
    ]);
    assert.equal(out?.status, 'online');
    assert.equal(out?.reason, null);
    const [never] = await t.json<Info[]>([
      'start',
      fixture('log-ready.js'),
      '--name',
      'never',
      '--ready-log-line',
      'port 9\\d+',
      '--listen-timeout',
      '1500',
    ]);
    assert.equal(never?.status, 'online');
    assert.match(never?.reason ?? '', /no `ready` message came/);
  });

  it('depends_on { api: ready } waits for the line', async () => {
    const f = join(t.home, 'stack.config.json');
    writeFileSync(
      f,
      JSON.stringify({
        apps: [
          {
            name: 'db',
            script: fixture('log-ready.js'),
            ready_log_line: 'up on port \\d+',
            listen_timeout: '30s',
            env: { READY_AFTER_MS: '1500' },
          },
          { name: 'web', script: fixture('forever.js'), depends_on: { db: 'ready' } },
        ],
      }),
    );
    const r = await t.run(['start', f, '--json']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await t.app('web')).status === 'online', 'web online', 30_000);
    const db = (await t.app('db')) as Info;
    const web = (await t.app('web')) as Info;
    assert.ok((web.startedAt ?? 0) >= (db.startedAt ?? 0) + 1400, 'web started after db printed its line');
  });

  it('a bad pattern, or a cluster app, is refused with exit code 2', async () => {
    const bad = await t.run(['start', fixture('log-ready.js'), '--name', 'bad', '--ready-log-line', 'up on (port']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /ready_log_line.*not a regular expression/);
    const held = await t.run(['start', fixture('cluster-server.js'), '--name', 'cl', '-i', '2', '--ready-log-line', 'x']);
    assert.equal(held.code, 2);
    assert.match(held.stderr, /ready_log_line.*not supported for cluster/);
  });
});
