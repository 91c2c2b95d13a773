import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, TendHome, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';

// PM2 habits against a real daemon: what a PM2 user types and writes does what PM2 does.

function environOf(pid: number): Map<string, string> {
  const vars = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(vars.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
}

const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

describe('PM2 habits', () => {
  let t: TendHome;
  let project: string;
  before(() => {
    t = new TendHome();
    project = mkdtempSync(join(tmpdir(), 'tend-pm2-project-'));
  });
  after(async () => {
    await t.cleanup();
    rmSync(project, { recursive: true, force: true });
  });

  it("stops apps of `tend start <script>` with SIGINT, so a process.on('SIGINT') cleanup runs; process.send works without wait_ready", async () => {
    const [p] = await t.json<ProcessJson[]>(['start', fixture('sigint-cleanup.js'), '--name', 'graceful']);
    const out = join(t.home, 'logs', 'graceful-out.log');
    await waitFor(() => read(out).includes('started'), 'the app to start');
    assert.match(read(out), new RegExp(`pm_id=${p?.id} name=graceful`), "PM2's per-app variables");
    const [d] = await t.json<Array<{ spec: { killSignal: string } }>>(['describe', 'graceful']);
    assert.equal(d?.spec.killSignal, 'SIGINT');
    const env = environOf(p?.pid as number);
    assert.equal(env.get('pm_exec_path'), fixture('sigint-cleanup.js'));
    assert.equal(env.get('pm_out_log_path'), out);
    const [s] = await t.json<ProcessJson[]>(['stop', 'graceful']);
    assert.equal(s?.lastExit?.code, 0, 'the app exited by itself from its SIGINT handler');
    assert.match(read(out), /SIGINT: cleaned up/);
    assert.equal(s?.restarts, 0, 'process.send did not crash the app');
    await t.run(['delete', 'graceful']);
  });

  it('writes logs where PM2 would: <name>-error.log with `_` → `-`, `-<id>` with instances, NULL = no file, ~ = home', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tend-pm2-home-'));
    try {
      writeFileSync(
        join(project, 'logs.config.js'),
        `module.exports = { apps: [
        { name: 'my_api', script: ${JSON.stringify(fixture('forever.js'))}, instances: 1, exec_mode: 'fork' },
        { name: 'quiet', script: ${JSON.stringify(fixture('forever.js'))}, out_file: 'NULL', error_file: '~/pm2logs/quiet-err.log' },
      ] };`,
      );
      const r = await t.run(['start', 'logs.config.js', '--json'], { cwd: project, env: { ...t.env, HOME: home } });
      assert.equal(r.code, 0, r.stderr);
      const apps = JSON.parse(r.stdout) as ProcessJson[];
      const id = apps.find((a) => a.name === 'my_api')?.id;
      await waitFor(() => read(join(t.home, 'logs', `my-api-out-${id}.log`)).includes('started'), "my_api's PM2-named log");
      assert.ok(existsSync(join(t.home, 'logs', `my-api-error-${id}.log`)));
      const [q] = await t.json<Array<{ logs: { out: string | null; err: string | null } }>>(['describe', 'quiet']);
      assert.equal(q?.logs.out, null);
      assert.equal(q?.logs.err, join(home, 'pm2logs', 'quiet-err.log'));
      assert.ok(existsSync(join(home, 'pm2logs', 'quiet-err.log')));
      assert.deepEqual(readdirSync(project).sort(), ['logs.config.js'], 'no file named NULL, no folder named ~');
      await t.run(['delete', 'my_api', 'quiet']);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('`start <file>` restarts running apps as PM2 does; `apply` leaves unchanged ones alone; startOrRestart is start', async () => {
    writeFileSync(
      join(project, 'deploy.config.js'),
      `module.exports = { apps: [{ name: 'deployed', script: ${JSON.stringify(fixture('forever.js'))} }] };`,
    );
    const first = JSON.parse((await t.run(['start', 'deploy.config.js', '--json'], { cwd: project })).stdout) as Array<
      ProcessJson & { action: string }
    >;
    assert.equal(first[0]?.action, 'created');
    const second = JSON.parse((await t.run(['startOrRestart', 'deploy.config.js', '--json'], { cwd: project })).stdout) as Array<
      ProcessJson & { action: string }
    >;
    assert.equal(second[0]?.action, 'restarted');
    assert.notEqual(second[0]?.pid, first[0]?.pid);
    const applied = JSON.parse((await t.run(['apply', 'deploy.config.js', '--json'], { cwd: project })).stdout) as Array<
      ProcessJson & { action: string }
    >;
    assert.equal(applied[0]?.action, 'unchanged');
    assert.equal(applied[0]?.pid, second[0]?.pid);
    await t.run(['delete', 'deployed']);
  });

  it('starts the other apps of a file when one cannot start (missing interpreter), and exits 1', async () => {
    writeFileSync(join(project, 'x.rb'), 'puts 1\n');
    writeFileSync(
      join(project, 'mixed.config.js'),
      `module.exports = { apps: [
      { name: 'rubyist', script: 'x.rb', interpreter: 'ruby-not-installed-here' },
      { name: 'fine', script: ${JSON.stringify(fixture('forever.js'))} },
    ] };`,
    );
    const r = await t.run(['start', 'mixed.config.js'], { cwd: project });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /rubyist not started: .*interpreter `ruby-not-installed-here` was not found/);
    assert.equal((await t.app('fine')).status, 'online');
    await t.run(['delete', 'fine']);
  });

  it('Python output arrives at once (PYTHONUNBUFFERED)', async () => {
    await t.json(['start', fixture('unbuffered.py'), '--name', 'py']);
    await waitFor(() => read(join(t.home, 'logs', 'py-out.log')).includes('python says hi'), 'the python line');
    await t.run(['delete', 'py']);
  });

  it("restart --env K=V applies the variable; --update-env takes the shell's; reset zeroes the counter", async () => {
    await t.json(['start', fixture('forever.js'), '--name', 'envy']);
    const [r1] = await t.json<ProcessJson[]>(['restart', 'envy', '--env', 'LEVEL=debug']);
    assert.equal(environOf(r1?.pid as number).get('LEVEL'), 'debug');
    const r2 = await t.run(['restart', 'envy', '--update-env', '--json'], { env: { ...t.env, FROM_SHELL: 'yes' } });
    const [p2] = JSON.parse(r2.stdout) as ProcessJson[];
    assert.equal(environOf(p2?.pid as number).get('FROM_SHELL'), 'yes');
    assert.equal(environOf(p2?.pid as number).get('LEVEL'), 'debug', 'the variable set for the app stays');
    assert.ok((await t.app('envy')).restarts >= 2);
    const [z] = await t.json<ProcessJson[]>(['reset', 'envy']);
    assert.equal(z?.restarts, 0);
    const envOut = await t.run(['env', String(z?.id)]);
    assert.match(envOut.stdout, /^LEVEL=debug$/m);
    await t.run(['delete', 'envy']);
  });

  it('jlist, prettylist, ls -m, sendSignal and dump work as in PM2', async () => {
    await t.json(['start', fixture('forever.js'), '--name', 'habit']);
    const j = await t.run(['jlist']);
    assert.ok((JSON.parse(j.stdout) as ProcessJson[]).some((p) => p.name === 'habit'));
    const pretty = await t.run(['prettylist']);
    assert.match(pretty.stdout, /^\[\n {2}\{/);
    assert.match((await t.run(['ls', '-m'])).stdout, /^\d+ habit online \d+$/m);
    assert.equal((await t.run(['sendSignal', 'SIGUSR2', 'habit'])).code, 0);
    const d = await t.run(['dump']);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(existsSync(join(t.home, 'dump.json')));
    await t.run(['delete', 'habit']);
  });

  it('keeps ids across kill + resurrect, so `tend restart 1` means the same app', async () => {
    await t.json(['start', fixture('forever.js'), '--name', 'first']);
    const [second] = await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'second']);
    await t.run(['delete', 'first']);
    assert.equal((await t.run(['save'])).code, 0);
    assert.equal((await t.run(['kill'])).code, 0);
    await t.json(['resurrect']);
    assert.equal((await t.app('second')).id, second?.id);
    const [r] = await t.json<ProcessJson[]>(['restart', String(second?.id)]);
    assert.equal(r?.name, 'second');
    await t.run(['delete', 'all']);
  });

  it('restart all / stop all with no app exit 1, as in PM2', async () => {
    for (const verb of ['restart', 'stop']) {
      const r = await t.run([verb, 'all']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^tend: no app to ${verb}`));
    }
  });

  it('--wait-ready says when the ready message never came', async () => {
    const r = await t.run(['start', fixture('forever.js'), '--name', 'mute', '--wait-ready', '--listen-timeout', '300']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /note: mute: no `ready` message came within listen_timeout \(300 ms\); it is considered online anyway/);
    await t.run(['delete', 'mute']);
  });

  it('logs: -i with --grep ignores case; --timestamp on logs without times says what to do', async () => {
    await t.json(['start', fixture('forever.js'), '--name', 'talker']);
    await waitFor(() => read(join(t.home, 'logs', 'talker-out.log')).includes('started'), 'a line');
    const g = await t.run(['logs', 'talker', '--grep', 'STARTED', '-i', '--no-follow', '--raw']);
    assert.match(g.stdout, /^started \d+/m);
    const ts = await t.run(['logs', 'talker', '--timestamp', '--nostream']);
    assert.equal(ts.code, 2);
    assert.match(ts.stderr, /--timestamp: the logs of `talker` record no arrival times .* — Start the app with --time/);
    await t.run(['delete', 'talker']);
  });

  it('`tend start app.js --env-file FILE` reaches tend, not Node (run as an executable)', async () => {
    mkdirSync(join(project, 'envfile'), { recursive: true });
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        BIN,
        ['start', fixture('forever.js'), '--name', 'dotenv', '--env-file', join(project, 'envfile', 'missing.env')],
        { env: t.env },
        (err, _out, stderr) => {
          resolve({ code: typeof err?.code === 'number' ? err.code : 0, stderr });
        },
      );
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^tend: command line: `env_file` .*missing\.env does not exist/);
  });
});
