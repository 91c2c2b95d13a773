import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, TendHome, fixture, waitFor } from '../helpers/tend.js';

// The package as users get it: `import … from 'tend-pm'` resolves through package.json `exports`
// to dist/api.mjs (a variable specifier keeps tsc from needing dist/types before the build).
type Api = typeof import('../../src/api/index.js');
const PACKAGE = 'tend-pm';

function node(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

describe("Node API (import/require 'tend-pm') against a real daemon", () => {
  let t: TendHome;
  let api: Api;
  let tend: Awaited<ReturnType<Api['connect']>>;
  before(async () => {
    t = new TendHome();
    api = (await import(PACKAGE)) as Api;
    tend = await api.connect({ home: t.home, env: t.env });
  });
  after(async () => {
    tend?.close();
    await t.cleanup();
  });

  it('starts an app object, lists, describes, signals, sends, restarts, deletes', async () => {
    const started = await tend.start({ name: 'echo', script: fixture('echo-stdin.js'), env: { API_TOKEN: 'hidden' } });
    assert.equal(started[0]?.action, 'created');
    assert.equal(started[0]?.status, 'online');
    for (const p of started) t.remember(p);
    const list = await tend.list();
    const cli = await t.list();
    assert.deepEqual(
      list.map((p) => [p.name, p.pid]),
      cli.map((p) => [p.name, p.pid]),
      'the same objects as `tend list --json`',
    );
    const [d] = await tend.describe('echo');
    assert.equal(d?.spec.env.API_TOKEN, '[redacted]');
    assert.equal((await tend.describe('echo', { showSecrets: true }))[0]?.spec.env.API_TOKEN, 'hidden');
    assert.deepEqual(await tend.send('echo', 'hello'), { bytes: 6, processes: 1 });
    await waitFor(async () => {
      const lines: string[] = [];
      for await (const r of await tend.logs('echo', { lines: 5 })) lines.push(r.message);
      return lines.includes('got: hello');
    }, 'the echoed line in the logs');
    const restarted = await tend.restart('echo');
    assert.equal(restarted[0]?.restarts, 1);
    assert.equal((await tend.signal('echo', 'SIGUSR2'))[0]?.name, 'echo');
    assert.equal((await tend.stop('echo'))[0]?.status, 'stopped');
    assert.equal((await tend.startTarget('echo'))[0]?.status, 'online');
    const unchanged = await tend.start({ name: 'echo', script: fixture('echo-stdin.js'), env: { API_TOKEN: 'hidden' } });
    assert.equal(unchanged[0]?.action, 'unchanged');
    const app = { name: 'echo', script: fixture('echo-stdin.js'), env: { API_TOKEN: 'hidden' } };
    const [reloaded] = await tend.start(app, { mode: 'reload' });
    assert.equal(reloaded?.action, 'restarted', 'a fork app is restarted by a reload, as in PM2');
    assert.notEqual(reloaded?.pid, unchanged[0]?.pid);
    assert.equal((await tend.start(app, { restart: true }))[0]?.action, 'restarted');
    await tend.delete('echo');
    assert.deepEqual(
      (await tend.list()).filter((p) => p.name === 'echo'),
      [],
    );
  });

  it('logs() reads an app that writes only a combined file (log_file), as `tend logs` does', async () => {
    const combined = join(t.home, 'only-combined.log');
    const started = await tend.start({
      name: 'combined',
      script: fixture('numbered-lines.js'),
      out_file: '/dev/null',
      error_file: '/dev/null',
      log_file: combined,
      env: { COUNT: '3' },
    });
    for (const p of started) t.remember(p);
    const read = async (): Promise<string[]> => {
      const lines: string[] = [];
      for await (const r of await tend.logs('combined', { lines: 3 })) lines.push(r.message);
      return lines;
    };
    assert.deepEqual(
      await waitFor(async () => {
        const l = await read();
        return l.length === 3 ? l : undefined;
      }, 'three lines through tend.logs()'),
      ['line 1', 'line 2', 'line 3'],
    );
    const cli = await t.run(['logs', 'combined', '--lines', '3', '--no-follow', '--raw']);
    assert.equal(cli.stdout.trim(), (await read()).join('\n'), 'the same lines as the CLI');
    await tend.delete('combined');
  });

  it('logs() of a cluster app with 2 instances gives each line once, in history and when following', { timeout: 60_000 }, async () => {
    for (const p of await tend.start({ name: 'pool', script: fixture('stdin-instance.js'), exec_mode: 'cluster', instances: 2 }))
      t.remember(p);
    const started = await waitFor(async () => {
      const rows = await tend.list();
      return rows.filter((p) => p.name === 'pool' && p.status === 'online').length === 2
        ? rows.filter((p) => p.name === 'pool')
        : undefined;
    }, 'both instances online');
    const follow = await tend.logs('pool', { follow: true, lines: 0 });
    for (const p of started) await tend.send(p.id, 'hello\nend');
    // Each instance's lines come in order; a record given twice comes twice in a row.
    const want = ['0 got: end', '0 got: hello', '1 got: end', '1 got: hello'];
    const live: string[] = [];
    for await (const r of follow) {
      live.push(r.message);
      if (live.filter((m) => m.endsWith('got: end')).length === 2) break;
    }
    assert.deepEqual(live.sort(), want);
    const history = await waitFor(async () => {
      const got: string[] = [];
      for await (const r of await tend.logs('pool', { lines: 10 })) got.push(r.message);
      return got.length >= 4 ? got : undefined;
    }, 'four lines in the history');
    assert.deepEqual(history.sort(), want);
    await tend.delete('pool');
  });

  it("errors are TendErrors with the CLI's codes and exit codes", async () => {
    const err = await tend.stop('nope').catch((e: unknown) => e);
    assert.ok(err instanceof api.TendError);
    assert.ok(api.isTendError(err));
    assert.equal(err.code, 'E_APP_NOT_FOUND');
    const cli = await t.run(['stop', 'nope']);
    assert.equal(err.exitCode, cli.code);
    const bad = await tend.start({ name: 'bad', script: fixture('forever.js'), max_restarts: 'lots' }).catch((e: unknown) => e);
    assert.ok(api.isTendError(bad));
    assert.equal(bad.exitCode, 2);
    const missing = await api.connect({ home: join(t.home, 'none'), launch: false }).catch((e: unknown) => e);
    assert.ok(api.isTendError(missing) && missing.code === 'E_DAEMON_UNREACHABLE' && missing.exitCode === 3);
  });

  it('events() and logs({ follow }) are async iterators; break closes them', { timeout: 60_000 }, async () => {
    const events = await tend.events();
    const logs = await tend.logs('all', { follow: true, lines: 0 });
    await tend.start({ name: 'talk', script: 'echo line 1; echo line 2; echo line 3', shell: true, autorestart: false });
    const seen: string[] = [];
    for await (const e of events) {
      if (e.type !== 'process:state' || e.info.name !== 'talk') continue;
      seen.push(e.info.status);
      if (e.info.status === 'stopped') break;
    }
    assert.ok(seen.includes('online') && seen.at(-1) === 'stopped', seen.join(' '));
    const lines: string[] = [];
    for await (const r of logs) {
      if (r.app === 'talk') lines.push(r.message);
      if (lines.length === 3) break;
    }
    assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
    assert.deepEqual(await events.next(), { value: undefined, done: true }, 'closed after break');
    await tend.delete('talk');
  });

  it('starts a config file in dependency order; save and resurrect', async () => {
    const file = join(t.home, 'api.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        apps: [
          { name: 'late', script: fixture('forever.js'), depends_on: ['early'] },
          { name: 'early', script: fixture('forever.js') },
        ],
      }),
    );
    const r = await tend.start(file);
    assert.deepEqual(
      r.map((p) => p.name),
      ['early', 'late'],
    );
    await waitFor(async () => (await tend.list()).every((p) => p.status === 'online'), 'both online');
    const saved = await tend.save();
    assert.deepEqual(saved.apps.sort(), ['early', 'late']);
    await tend.delete('all');
    const back = await tend.resurrect();
    assert.deepEqual(back.apps.map((p) => p.name).sort(), ['early', 'late']);
    const cycle = await tend.start([{ name: 'a', script: fixture('forever.js'), depends_on: ['a'] }]).catch((e: unknown) => e);
    assert.ok(api.isTendError(cycle) && cycle.code === 'E_CONFIG_INVALID');
    await tend.delete('all');
  });

  it("require('tend') works from CommonJS; the .d.ts types check an example; the CLI bundles never contain the API", async () => {
    const r = await node(
      [
        '-e',
        `const { connect, TendError } = require('tend-pm');
      connect({ home: process.env.TEND_HOME }).then(async (t) => {
        const list = await t.list();
        const err = await t.describe('nope').catch((e) => e);
        console.log(JSON.stringify({ n: list.length, typed: err instanceof TendError, code: err.code }));
        t.close();
      });`,
      ],
      t.env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { n: 0, typed: true, code: 'E_APP_NOT_FOUND' });
    const tsc = await node(
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'examples', 'api', 'tsconfig.json')],
      t.env,
    );
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    assert.deepEqual(Object.keys(pkg.exports['.'] ?? {}), ['types', 'import', 'require']);
    for (const bundle of ['cli.cjs', 'commands/list.cjs', 'commands/start.cjs', 'daemon.cjs']) {
      assert.ok(!readFileSync(join(ROOT, 'dist', bundle), 'utf8').includes('subscriptionIterator'), `${bundle} must not include the API`);
    }
  });
});
