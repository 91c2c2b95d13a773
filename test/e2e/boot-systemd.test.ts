import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { fixture, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';
import { SystemdLab, labName, labSkipReason } from '../helpers/systemd-lab.js';

// Boot against a real systemd: test/lab/systemd-lab.sh boots one in namespaces (root only).
// Without one, every test is skipped (and counted); under CI=true each fails instead.
const req = needs(labSkipReason());

interface Step {
  action: string;
  what: string;
  ok: boolean;
}
const parse = <T>(text: string): T => JSON.parse(text) as T;

/** `systemctl show` properties as a record. */
async function show(lab: SystemdLab, unit: string, user?: string): Promise<Record<string, string>> {
  const args = ['show', '-p', 'ActiveState', '-p', 'MainPID', '-p', 'Type', '-p', 'NRestarts', '-p', 'Result', unit];
  const out =
    user === undefined
      ? await lab.ok(['systemctl', ...args])
      : await lab.ok([
          'runuser',
          '-u',
          user,
          '--',
          'env',
          `XDG_RUNTIME_DIR=/run/user/${await lab.ok(['id', '-u', user]).then((s) => s.trim())}`,
          'systemctl',
          '--user',
          ...args,
        ]);
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('boot through systemd: system unit', () => {
  const lab = new SystemdLab(labName('sys'));
  const home = join(lab.work, 'home');
  let port = 0;
  let userPort = 0;
  let webPid = 0;
  req.before(async () => {
    const seconds = await lab.start();
    console.log(`# lab booted in ${seconds}s`);
    port = await freePort();
    userPort = await freePort();
  });
  req.after(async () => {
    await lab.stop();
  });

  const tend = (args: string[]) => lab.tend(args, { home });
  const list = async (): Promise<ProcessJson[]> => parse((await tend(['list', '--json'])).stdout);

  req.it('tend startup installs an enabled Type=notify unit whose main pid is the daemon', async () => {
    const r = await tend(['startup', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parse<{ unit: string; file: string; steps: Step[] }>(r.stdout);
    assert.equal(out.unit, 'tend-root.service');
    assert.deepEqual(
      out.steps.map((s) => s.what),
      [out.file, 'systemctl daemon-reload', 'systemctl enable tend-root.service', 'systemctl restart tend-root.service'],
    );
    const props = await show(lab, 'tend-root.service');
    assert.equal(props.ActiveState, 'active');
    assert.equal(props.Type, 'notify');
    const info = parse<{ pid: number }>((await tend(['daemon', 'status', '--json'])).stdout);
    assert.equal(String(info.pid), props.MainPID);
    assert.equal((await lab.ok(['systemctl', 'is-enabled', 'tend-root.service'])).trim(), 'enabled');
  });

  req.it("--user NAME runs the daemon, and its apps, as NAME with NAME's TEND_HOME", async () => {
    await lab.ok(['useradd', '--create-home', 'appuser']);
    const r = await lab.tend(['startup', '--user', 'appuser', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parse<{ unit: string; home: string }>(r.stdout);
    assert.equal(out.unit, 'tend-appuser.service');
    assert.equal(out.home, '/home/appuser/.tend');
    const props = await show(lab, 'tend-appuser.service');
    assert.equal(props.ActiveState, 'active');
    assert.equal((await lab.ok(['ps', '-o', 'user=', '-p', props.MainPID as string])).trim(), 'appuser');
    const started = await lab.tend(['start', fixture('http-server.js'), '--name', 'uweb', '--env', `PORT=${userPort}`, '--json'], {
      user: 'appuser',
    });
    assert.equal(started.code, 0, started.stderr);
    const app = parse<ProcessJson[]>(started.stdout)[0] as ProcessJson;
    assert.equal((await lab.ok(['ps', '-o', 'user=', '-p', String(app.pid)])).trim(), 'appuser');
    assert.equal((await lab.tend(['save'], { user: 'appuser' })).code, 0);
  });

  req.it('saved apps answer again after a reboot, with the environment they were started with', async () => {
    const started = await tend([
      'start',
      fixture('http-server.js'),
      '--name',
      'web',
      '--env',
      `PORT=${port}`,
      '--env',
      'GREETING=hello "world" $HOME 100%',
      '--json',
    ]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal((await tend(['start', fixture('forever.js'), '--name', 'idle', '--json'])).code, 0);
    await waitFor(() => lab.http(port), 'web to answer before the reboot', 15_000);
    const saved = parse<{ apps: string[] }>((await tend(['save', '--json'])).stdout);
    assert.deepEqual(saved.apps, ['web', 'idle']);
    const dump = readFileSync(join(home, 'dump.json'));
    const before = (await list()).find((p) => p.name === 'web')?.pid;

    await lab.reboot();
    const body = await waitFor(() => lab.http(port), 'web to answer after the reboot', 30_000);
    assert.match(body, /hello from/);
    const apps = await list();
    assert.deepEqual(
      apps.map((p) => [p.name, p.status]),
      [
        ['web', 'online'],
        ['idle', 'online'],
      ],
    );
    const web = apps.find((p) => p.name === 'web') as ProcessJson;
    assert.notEqual(web.pid, before);
    // Started fresh by resurrect (the shutdown stopped the apps through ExecStop), not restarted from stale state.
    assert.equal(web.restarts, 0);
    assert.equal(web.adopted, false);
    webPid = web.pid as number;
    const environ = (await lab.ok(['cat', `/proc/${webPid}/environ`])).split('\0');
    assert.ok(environ.includes('GREETING=hello "world" $HOME 100%'), 'the resurrected app sees the saved environment');
    assert.deepEqual(readFileSync(join(home, 'dump.json')), dump, 'shutdown and boot leave dump.json as saved');
    // The unit turns active once its ExecStartPost (tend resurrect --boot) has its answer, which
    // can come a little after the app answers: wait for it, do not race it.
    await waitFor(async () => (await show(lab, 'tend-root.service')).ActiveState === 'active', 'tend-root.service to be active', 15_000);
    // The unit running as appuser came back too, its app stopped at shutdown and resurrected.
    await waitFor(() => lab.http(userPort), "appuser's app to answer after the reboot", 30_000);
    const uweb = parse<ProcessJson[]>((await lab.tend(['list', '--json'], { user: 'appuser' })).stdout)[0];
    assert.equal(uweb?.status, 'online');
    assert.equal(uweb?.restarts, 0);
    assert.equal(uweb?.adopted, false);
  });

  req.it('tend daemon restart and systemctl restart replace only the daemon, which stays under the unit', async () => {
    assert.equal((await tend(['stop', 'idle', '--json'])).code, 0);
    const oldMain = (await show(lab, 'tend-root.service')).MainPID;
    // Under the boot unit, `tend daemon restart` goes through systemctl.
    const r = await tend(['daemon', 'restart', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parse<{ unit: string }>(r.stdout).unit, 'tend-root.service');
    const mid = await show(lab, 'tend-root.service');
    assert.equal(mid.ActiveState, 'active');
    assert.notEqual(mid.MainPID, oldMain);
    assert.equal(String(parse<{ pid: number }>((await tend(['daemon', 'status', '--json'])).stdout).pid), mid.MainPID);
    await lab.ok(['systemctl', 'restart', 'tend-root.service']);
    const props = await show(lab, 'tend-root.service');
    assert.equal(props.ActiveState, 'active');
    assert.notEqual(props.MainPID, mid.MainPID);
    assert.equal(String(parse<{ pid: number }>((await tend(['daemon', 'status', '--json'])).stdout).pid), props.MainPID);
    const apps = await list();
    const web = apps.find((p) => p.name === 'web');
    assert.equal(web?.pid, webPid);
    assert.equal(web?.adopted, true);
    assert.equal(apps.find((p) => p.name === 'idle')?.status, 'stopped', 'resurrect runs once per boot, not at each restart');
  });

  req.it('tend unstartup removes the unit; the apps keep running under a new daemon', async () => {
    const r = await tend(['unstartup', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parse<{ removed: boolean }>(r.stdout).removed, true);
    assert.notEqual((await lab.exec(['test', '-e', '/etc/systemd/system/tend-root.service'])).code, 0);
    assert.notEqual((await lab.exec(['systemctl', 'is-enabled', 'tend-root.service'])).code, 0);
    assert.equal((await list()).find((p) => p.name === 'web')?.pid, webPid);
    assert.ok(await lab.http(port));
    const again = await tend(['unstartup', '--json']);
    assert.equal(again.code, 0);
    assert.equal(parse<{ removed: boolean }>(again.stdout).removed, false);
  });
});

describe('boot through systemd: rootless user unit', () => {
  const lab = new SystemdLab(labName('user'));
  const user = 'tenduser';
  let port = 0;
  req.before(async () => {
    await lab.start();
    await lab.ok(['useradd', '--create-home', '--uid', '1500', user]);
    port = await freePort();
  });
  req.after(async () => {
    await lab.stop();
  });

  const tend = (args: string[]) => lab.tend(args, { user });
  const unitFile = `/home/${user}/.config/systemd/user/tend.service`;

  req.it('when lingering cannot be enabled, installs the unit and says what an admin must run (exit 1)', async () => {
    // Without polkit, logind refuses enable-linger to an unprivileged user.
    await lab.ok(['systemctl', 'mask', '--now', 'polkit.service']);
    const r = await tend(['startup']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /sudo loginctl enable-linger tenduser/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stdout, /loginctl enable-linger --no-ask-password tenduser {2}FAILED/);
    await lab.ok(['test', '-f', unitFile]);
    await lab.ok(['test', '-L', `/home/${user}/.config/systemd/user/default.target.wants/tend.service`]);
    await lab.ok(['systemctl', 'unmask', 'polkit.service']);
  });

  req.it('enables lingering and starts the user unit', async () => {
    const r = await tend(['startup', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parse<{ mode: string; file: string; steps: Step[] }>(r.stdout);
    assert.equal(out.mode, 'rootless');
    assert.equal(out.file, unitFile);
    assert.ok(out.steps.some((s) => s.what === `loginctl enable-linger --no-ask-password ${user}` && s.ok));
    await lab.ok(['test', '-e', `/var/lib/systemd/linger/${user}`]);
    const props = await show(lab, 'tend.service', user);
    assert.equal(props.ActiveState, 'active');
    assert.equal((await lab.ok(['ps', '-o', 'user=', '-p', props.MainPID as string])).trim(), user);
  });

  req.it('saved apps answer again after a reboot', async () => {
    assert.equal((await tend(['start', fixture('http-server.js'), '--name', 'web', '--env', `PORT=${port}`, '--json'])).code, 0);
    await waitFor(() => lab.http(port), 'web to answer before the reboot', 15_000);
    assert.equal((await tend(['save', '--json'])).code, 0);
    await lab.reboot();
    await waitFor(() => lab.http(port), 'web to answer after the reboot', 30_000);
    const apps = parse<ProcessJson[]>((await tend(['list', '--json'])).stdout);
    assert.equal(apps[0]?.status, 'online');
    assert.equal((await lab.ok(['ps', '-o', 'user=', '-p', String(apps[0]?.pid)])).trim(), user);
    await waitFor(
      async () => (await show(lab, 'tend.service', user)).ActiveState === 'active',
      'the user unit to be active (after its ExecStartPost)',
      15_000,
    );
  });

  req.it('tend unstartup removes the user unit', async () => {
    const r = await tend(['unstartup', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parse<{ removed: boolean }>(r.stdout).removed, true);
    assert.notEqual((await lab.exec(['test', '-e', unitFile])).code, 0);
    assert.ok(await lab.http(port), 'the app keeps running');
  });
});

describe('export systemd: units run by systemd behave as configured', () => {
  const lab = new SystemdLab(labName('export'));
  const home = join(lab.work, 'home');
  const units = join(lab.work, 'units');
  const env = 'he said "hi" to $USER at 100% \\o/';
  const secret = 's3cr"et $x %n';
  let port = 0;
  req.before(async () => {
    await lab.start();
    port = await freePort();
  });
  req.after(async () => {
    await lab.stop();
  });
  const tend = (args: string[]) => lab.tend(args, { home });

  req.it('exports one verified unit per app, secrets in a 0600 file', async () => {
    const web = await tend([
      'start',
      fixture('http-server.js'),
      '--name',
      'web',
      '--env',
      `PORT=${port}`,
      '--env',
      `ODD=${env}`,
      '--env',
      `API_TOKEN=${secret}`,
      '--kill-timeout',
      '2500',
      '--json',
    ]);
    assert.equal(web.code, 0, web.stderr);
    const done = await tend([
      'start',
      fixture('crash-after.js'),
      '--name',
      'done',
      '--env',
      'CRASH_AFTER_MS=200',
      '--env',
      'CRASH_CODE=3',
      '--stop-exit-codes',
      '3',
      '--json',
    ]);
    assert.equal(done.code, 0, done.stderr);
    const r = await tend(['export', 'systemd', '--out', units, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parse<{ units: { app: string; unit: string; file: string; envFile: string | null }[] }>(r.stdout);
    assert.deepEqual(
      out.units.map((u) => u.unit),
      ['web.service', 'done.service'],
    );
    assert.equal((await lab.ok(['stat', '-c', '%a', join(units, 'web.env')])).trim(), '600');
    const verify = await lab.exec(['systemd-analyze', 'verify', '--man=no', join(units, 'web.service'), join(units, 'done.service')]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '', 'no warnings from systemd-analyze verify');
    await tend(['kill']);
    await lab.ok(['cp', join(units, 'web.service'), join(units, 'done.service'), '/etc/systemd/system/']);
    await lab.ok(['systemctl', 'daemon-reload']);
  });

  req.it('the app runs with its argv and exact environment, and restarts after kill -9', async () => {
    await lab.ok(['systemctl', 'start', 'web.service']);
    await waitFor(() => lab.http(port), 'the exported web unit to answer', 15_000);
    const first = await show(lab, 'web.service');
    const environ = (await lab.ok(['cat', `/proc/${first.MainPID}/environ`])).split('\0');
    assert.ok(environ.includes(`ODD=${env}`), 'Environment= carries quotes, $ and % unchanged');
    assert.ok(environ.includes(`API_TOKEN=${secret}`), 'EnvironmentFile= carries the secret unchanged');
    await lab.ok(['kill', '-9', first.MainPID as string]);
    const second = await waitFor(
      async () => {
        const p = await show(lab, 'web.service');
        return p.NRestarts === '1' && p.ActiveState === 'active' && p.MainPID !== '0' && p.MainPID !== first.MainPID ? p : null;
      },
      'systemd to restart the killed app',
      15_000,
    );
    assert.ok(second);
    await waitFor(() => lab.http(port), 'the restarted app to answer', 15_000);
  });

  req.it('an exit code from stop_exit_codes ends the unit cleanly, without a restart', async () => {
    await lab.ok(['systemctl', 'start', 'done.service']);
    const props = await waitFor(
      async () => {
        const p = await show(lab, 'done.service');
        return p.ActiveState === 'inactive' ? p : null;
      },
      'the app to exit with its stop code',
      15_000,
    );
    assert.equal(props.Result, 'success');
    assert.equal(props.NRestarts, '0');
  });
});
