import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, freePort, waitFor, type CliResult, type ProcessJson } from '../helpers/tend.js';
import { getFresh, startLoad, type LoadResult } from '../helpers/load-loop.js';

// PM2's deploy, `git pull && pm2 reload ecosystem.config.js --env production`: the code changes on
// disk, the config file does not, and every app of the file must run the new code afterwards.

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}
type Acted = ProcessJson & { action: string };

/** The app: answers `<version> <instance> <pid>`; a deploy rewrites the version in the code itself. */
const appCode = (version: string): string => `const http = require('node:http');
const VERSION = '${version}';
http.createServer((req, res) => res.end(VERSION + ' ' + (process.env.NODE_APP_INSTANCE ?? '-') + ' ' + process.pid + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
`;

function environOf(pid: number): Map<string, string> {
  const vars = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(vars.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
}

/** Answers counted after `from` was taken (bodies seen since then, with how many times). */
function answersSince(from: LoadResult, to: LoadResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const [body, n] of to.bodies) {
    const more = n - (from.bodies.get(body) ?? 0);
    if (more > 0) out.set(body, more);
  }
  return out;
}

describe('deploy: reload <file> ships the code on disk', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-deploy-'));
  const appFile = join(dir, 'app.js');
  let webPort = 0;
  let workerPort = 0;
  const run = (args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> =>
    t.run(args, { cwd: dir, timeoutMs: 60_000, ...(env === undefined ? {} : { env }) });
  const rows = async (name: string): Promise<Row[]> => ((await t.list()) as Row[]).filter((p) => p.name === name);
  const remember = async (): Promise<void> => {
    for (const r of (await t.list()) as Row[]) {
      t.remember(r);
      if (typeof r.holderPid === 'number') t.track(r.holderPid);
    }
  };
  /** The fork app answers with `version` (it may still be binding its port right after a restart). */
  const workerServes = (version: string): Promise<boolean> =>
    waitFor(async () => ((await getFresh(workerPort)) ?? '').startsWith(`${version} `), `the fork app to serve ${version}`, 15_000);

  before(async () => {
    webPort = await freePort();
    workerPort = await freePort();
    writeFileSync(appFile, appCode('v1'));
    writeFileSync(
      join(dir, 'ecosystem.config.js'),
      `module.exports = { apps: [
      { name: 'web', script: ${JSON.stringify(appFile)}, instances: 2, exec_mode: 'cluster', env: { PORT: ${webPort} } },
      { name: 'worker', script: ${JSON.stringify(appFile)}, env: { PORT: ${workerPort} } },
    ] };`,
    );
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Changes the code to `version`, runs `args` under a keep-alive load on the cluster app, and
   * checks: exit 0, 0 failed requests, and every answer after the command returned is `version`.
   */
  async function deployUnderLoad(args: string[], version: string): Promise<CliResult> {
    const load = startLoad(webPort, 6, 60_000);
    await waitFor(() => load.snapshot().ok > 200, 'load to flow');
    writeFileSync(appFile, appCode(version));
    const r = await run(args);
    const atReturn = load.snapshot();
    await waitFor(() => load.snapshot().ok > atReturn.ok + 300, 'load to flow after the reload');
    const result = await load.stop();
    await remember();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.errors)}`);
    const after = answersSince(atReturn, result);
    const stale = [...after.keys()].filter((b) => !b.startsWith(`${version} `));
    assert.deepEqual(stale, [], `every answer after \`tend ${args.join(' ')}\` returned comes from ${version}`);
    assert.ok(
      [...after.keys()].some((b) => b.startsWith(`${version} 0 `)) && [...after.keys()].some((b) => b.startsWith(`${version} 1 `)),
      'both instances serve the new code',
    );
    return r;
  }

  it('start <file> creates both apps; they serve v1', async () => {
    const r = await run(['start', 'ecosystem.config.js']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^web: created, worker: created$/m);
    // The table has a row for each process, as `tend list` does: both instances of the cluster app.
    assert.equal(r.stdout.match(/^\d+\s+web\s/gm)?.length, 2, r.stdout);
    await remember();
    await waitFor(async () => ((await getFresh(webPort)) ?? '').startsWith('v1 '), 'the cluster app to serve v1');
    await workerServes('v1');
  });

  it('reload <file> after the code changed: the cluster app reloads with 0 failed requests, the fork app hands its socket over; both serve v2', async () => {
    const before = await rows('web');
    const workerBefore = (await rows('worker'))[0] as Row;
    const r = await deployUnderLoad(['reload', 'ecosystem.config.js'], 'v2');
    assert.match(r.stdout, /^web: reloaded, worker: reloaded$/m);
    await workerServes('v2');
    const after = await rows('web');
    assert.deepEqual(
      after.map((x) => x.id),
      before.map((x) => x.id),
      'ids are kept',
    );
    for (const x of after) assert.ok(!before.some((b) => b.pid === x.pid), 'every instance was replaced');
    // PM2's restart_time: a reload counts one restart for each replaced instance.
    assert.deepEqual(
      after.map((x) => x.restarts),
      before.map((x) => x.restarts + 1),
    );
    const worker = (await rows('worker'))[0] as Row;
    assert.notEqual(worker.pid, workerBefore.pid);
    assert.equal(worker.restarts, workerBefore.restarts + 1);
  });

  it('startOrReload <file> --update-env does the same, and says what it did to each app in --json', async () => {
    const before = await rows('web');
    const r = await deployUnderLoad(['startOrReload', 'ecosystem.config.js', '--update-env', '--json'], 'v3');
    const acted = JSON.parse(r.stdout) as Acted[];
    assert.deepEqual(
      acted.map((a) => [a.name, a.action]),
      [
        ['web', 'reloaded'],
        ['worker', 'reloaded'],
      ],
    );
    await workerServes('v3');
    assert.deepEqual(
      (await rows('web')).map((x) => x.restarts),
      before.map((x) => x.restarts + 1),
    );
  });

  it('apply leaves unchanged apps alone (and says so); start and restart <file> restart every running app as PM2 does', async () => {
    const pids = (await t.list()).map((p) => p.pid);
    const applied = await run(['apply', 'ecosystem.config.js']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^web: unchanged, worker: unchanged$/m);
    assert.deepEqual(
      (await t.list()).map((p) => p.pid),
      pids,
    );
    writeFileSync(appFile, appCode('v4'));
    for (const verb of ['start', 'restart']) {
      const before = await t.list();
      const r = await run([verb, 'ecosystem.config.js']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^web: restarted, worker: restarted$/m, `${verb} <file>`);
      await remember();
      for (const p of await t.list()) assert.ok(!before.some((b) => b.pid === p.pid), `${verb} <file> replaced ${p.name} (${p.id})`);
    }
    await workerServes('v4');
    assert.match((await waitFor(() => getFresh(webPort), 'the cluster app to answer')) ?? '', /^v4 /);
  });

  it('an app of the file that does not run is started by reload, restart and startOrReload; --only picks apps', async () => {
    for (const verb of ['reload', 'restart', 'startOrReload']) {
      await run(['stop', 'worker']);
      const r = await run([verb, 'ecosystem.config.js']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^web: (reloaded|restarted), worker: started$`, 'm'), `${verb} <file>`);
      await remember();
      await workerServes('v4');
    }
    const webPids = (await rows('web')).map((x) => x.pid);
    const only = await run(['reload', 'ecosystem.config.js', '--only', 'worker']);
    assert.equal(only.code, 0, only.stderr);
    assert.match(only.stdout, /^worker: reloaded$/m);
    assert.deepEqual(
      (await rows('web')).map((x) => x.pid),
      webPids,
      '--only left the other app alone',
    );
    await remember();
  });

  it('restart of a stopped app counts as a restart', async () => {
    await run(['stop', 'worker']);
    const stopped = (await rows('worker'))[0] as Row;
    assert.equal(stopped.status, 'stopped');
    const [restarted] = await t.json<ProcessJson[]>(['restart', 'worker']);
    assert.equal(restarted?.status, 'online');
    assert.equal(restarted?.restarts, stopped.restarts + 1);
  });

  it("reload <app> --update-env takes this shell's variables (cluster and fork apps); --env K=V sets one", async () => {
    const env = { ...t.env, FROM_SHELL: 'deploy-42' };
    const before = await rows('web');
    const r = await run(['reload', 'web', '--update-env'], env);
    assert.equal(r.code, 0, r.stderr);
    await remember();
    const after = await rows('web');
    assert.equal(after.length, 2);
    for (const x of after) {
      assert.ok(!before.some((b) => b.pid === x.pid), 'the instance was replaced');
      assert.equal(environOf(x.pid as number).get('FROM_SHELL'), 'deploy-42');
    }
    const w = await run(['reload', 'worker', '--env', 'LEVEL=debug', '--json']);
    assert.equal(w.code, 0, w.stderr);
    const [worker] = JSON.parse(w.stdout) as ProcessJson[];
    t.remember(worker);
    assert.equal(environOf(worker?.pid as number).get('LEVEL'), 'debug');
    const bad = await run(['reload', 'worker', '--env', 'production']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /picks a block of a config file/);
  });

  it('a broken build: each app\'s reload rolls back (exit 1, "web: failed, worker: failed"), the old processes serve', async () => {
    const webPids = (await rows('web')).map((x) => x.pid);
    writeFileSync(appFile, `throw new Error('broken build');\n${appCode('v5')}`);
    const r = await run(['reload', 'ecosystem.config.js']);
    await remember();
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^web: failed, worker: failed$/m);
    assert.match(r.stderr, /^tend: web not reloaded: reload of web stopped: .*before it was ready/m);
    assert.deepEqual(
      (await rows('web')).map((x) => x.pid),
      webPids,
      'the old processes keep serving',
    );
    assert.match((await getFresh(webPort)) ?? '', /^v4 /);
    assert.match((await getFresh(workerPort)) ?? '', /^v4 /, 'the fork app keeps its old process too');
    writeFileSync(appFile, appCode('v5'));
    const fixed = await run(['reload', 'ecosystem.config.js']);
    await remember();
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /^web: reloaded, worker: reloaded$/m);
    await workerServes('v5');
  });

  it('after `tend kill` ids start again at 0, as after `pm2 kill`', async () => {
    const highest = Math.max(...(await t.list()).map((p) => p.id));
    assert.ok(highest >= 2);
    const k = await run(['kill']);
    assert.equal(k.code, 0, k.stderr);
    const r = await run(['start', 'ecosystem.config.js', '--only', 'worker', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [worker] = JSON.parse(r.stdout) as Acted[];
    t.remember(worker);
    assert.equal(worker?.id, 0);
  });

  it('every `all` verb with no app exits 1 with one line (reload all as restart all)', async () => {
    assert.equal((await run(['kill'])).code, 0);
    for (const args of [
      ['reload', 'all'],
      ['restart', 'all'],
      ['stop', 'all'],
      ['delete', 'all'],
      ['start', 'all'],
      ['reset', 'all'],
      ['describe', 'all'],
      ['scale', 'all', '2'],
      ['signal', 'SIGUSR2', 'all'],
    ]) {
      const res = await run(args);
      assert.equal(res.code, 1, `tend ${args.join(' ')}: ${res.stdout}${res.stderr}`);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    }
  });
});
