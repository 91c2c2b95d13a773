import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { ROOT, TendHome, fixture, freePort, httpGet, waitFor, type ProcessJson } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';

/** Bun from the `bun` npm package (a dev dependency): what works under tend, and what is refused. */
const BUN_BIN = join(ROOT, 'node_modules', '.bin');
const bun = needs(existsSync(join(BUN_BIN, 'bun')) ? null : 'the bun package is not installed (npm ci installs it)');

describe('Bun as a runtime (--interpreter bun)', () => {
  let t: TendHome;
  let dir: string;
  bun.before(() => {
    t = new TendHome({ PATH: `${BUN_BIN}:${process.env.PATH ?? ''}` });
    dir = mkdtempSync(join(tmpdir(), 'tend-bun-'));
  });
  bun.after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  bun.it('fork mode: starts, becomes ready over IPC, logs, restarts on a crash, restarts and stops', async () => {
    const port = await freePort();
    const [app] = await t.json<ProcessJson[]>([
      'start',
      fixture('http-server.js'),
      '--interpreter',
      'bun',
      '--name',
      'b',
      '--wait-ready',
      '--listen-timeout',
      '20s',
      '--env',
      `PORT=${port}`,
    ]);
    assert.equal(app?.status, 'online');
    assert.equal(app?.reason ?? null, null, 'ready came from process.send, not from listen_timeout');
    assert.match((await waitFor(() => httpGet(port), 'bun to answer')) ?? '', /hello from/);
    const [d] = await t.json<{ spec: { exec: { interpreter: string } }; logs: { out: string } }[]>(['describe', 'b']);
    assert.match(d?.spec.exec.interpreter ?? '', /bun$/);
    await waitFor(
      () => (existsSync(d?.logs.out ?? '') ? readFileSync(d?.logs.out ?? '', 'utf8').includes(`listening on ${port}`) : false),
      'its output in the log',
    );
    // A crash is restarted like any app.
    process.kill(app?.pid as number, 'SIGKILL');
    await waitFor(
      async () => {
        const x = await t.app('b');
        return x.status === 'online' && x.pid !== app?.pid && x.restarts === 1 ? x : null;
      },
      'the crashed bun app to be restarted',
      20_000,
    );
    const [r] = await t.json<ProcessJson[]>(['restart', 'b']);
    assert.equal(r?.restarts, 2);
    await waitFor(() => httpGet(port), 'bun to answer after restart');
    const [s] = await t.json<ProcessJson[]>(['stop', 'b']);
    assert.equal(s?.status, 'stopped');
  });

  bun.it('a config file with interpreter: "bun" runs it the same way', async () => {
    const port = await freePort();
    const file = join(dir, 'ecosystem.config.js');
    writeFileSync(
      file,
      `module.exports = { apps: [{ name: 'bf', script: ${JSON.stringify(fixture('http-server.js'))}, interpreter: 'bun', env: { PORT: '${port}' } }] };\n`,
    );
    const r = await t.run(['start', file]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => httpGet(port), 'the bun app of the file to answer');
  });

  bun.it("cluster mode is refused with what to do instead (node:cluster's worker protocol is Node's)", async () => {
    const r = await t.run(['start', fixture('http-server.js'), '--interpreter', 'bun', '--name', 'bc', '-i', '2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cluster mode runs Node\.js scripts/);
  });
});
