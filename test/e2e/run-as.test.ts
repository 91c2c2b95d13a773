import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, TendHome, cleanEnv, fixture, waitFor, type CliResult, type ProcessJson } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';

const NOBODY = 65534;
const root = process.geteuid?.() === 0;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

function project(dir: string, key: string, value: string | number): string {
  const file = join(dir, `${key}.config.js`);
  writeFileSync(
    file,
    `module.exports = { apps: [{ name: 'as-${key}', script: 'sleep', args: '1000', ${key}: ${JSON.stringify(value)} }] };\n`,
  );
  return file;
}

describe("PM2's uid/user/gid: never a quiet run as the wrong user", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-run-as-'));
  const t = new TendHome();
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a user it cannot run as with a one-line error (exit 2) and starts nothing', async () => {
    for (const [key, value] of [
      ['uid', 'no-such-user-tend'],
      ['user', 'no-such-user-tend'],
      ['gid', 'no-such-group-tend'],
    ] as const) {
      const r = await t.run(['start', project(dir, key, value)]);
      assert.equal(r.code, 2, `${key}: ${r.stdout}${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0] ?? '',
        root
          ? new RegExp(`\`${key}: ${value}\` names no (user|group) of this machine`)
          : new RegExp(`\`${key}: ${value}\` asks to run the app as another (user|group): that needs tend running as root`),
      );
    }
    assert.deepEqual(
      (await t.list()).map((a) => a.name),
      [],
    );
  });

  it('accepts its own user and group (what tend does anyway)', async () => {
    const r = await t.run(['start', project(dir, 'uid', process.geteuid?.() ?? 0)]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /uid/);
  });

  // The refusal of a daemon that is not root, checked as `nobody` (from root, through setpriv).
  needs(root ? null : 'needs root to run the CLI as another user').it(
    'a tend running as another user than root says that it needs root',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'tend-run-as-home-'));
      chownSync(home, NOBODY, NOBODY);
      chmodSync(dir, 0o755);
      try {
        const env = { ...cleanEnv(process.env), TEND_HOME: home, HOME: home, NO_COLOR: '1' };
        const r = await run(
          'setpriv',
          [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, 'start', project(dir, 'uid', 'root')],
          env,
          dir,
        );
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(
          r.stderr.trim(),
          /^[^\n]*`uid: root` asks to run the app as another user: that needs tend running as root, and it runs as nobody[^\n]*$/,
        );
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});

/** Throw-away users and a group, made with useradd/groupadd and removed at the end. */
const hasUseradd = ['useradd', 'userdel', 'groupadd', 'groupdel'].every((c) =>
  ['/usr/sbin', '/sbin', '/usr/bin'].some((d) => existsSync(join(d, c))),
);
const asRoot = needs(
  !root ? 'needs root (a root tend runs apps as other users)' : hasUseradd ? null : 'useradd/groupadd are not installed',
);

describe("a root tend runs each app as its own user (PM2's uid/gid)", () => {
  const tag = `t${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const users = [`${tag}a`, `${tag}b`];
  const group = `${tag}g`;
  const dir = mkdtempSync(join(tmpdir(), 'tend-run-as-users-'));
  const t = new TendHome();
  const sh = (cmd: string, args: string[]): Promise<CliResult> => run(cmd, args, process.env, '/');
  const idOf = async (user: string, flag: string): Promise<number> => Number((await sh('id', [flag, user])).stdout.trim());

  asRoot.before(async () => {
    chmodSync(dir, 0o755);
    assert.equal((await sh('groupadd', [group])).code, 0);
    for (const u of users)
      assert.equal((await sh('useradd', ['-M', '-N', '-s', '/usr/sbin/nologin', '-G', group, u])).code, 0, `useradd ${u}`);
  });
  asRoot.after(async () => {
    await t.cleanup();
    for (const u of users) await sh('userdel', [u]);
    await sh('groupdel', [group]);
    rmSync(dir, { recursive: true, force: true });
  });

  asRoot.it(
    "the process, its FIFOs and log files are the user's, with its groups; it cannot read the home or signal the other app; logs and send work",
    async () => {
      const file = join(dir, 'ecosystem.config.js');
      const app = (u: string): string =>
        `{ name: ${JSON.stringify(u)}, script: ${JSON.stringify(fixture('who-am-i.js'))}, cwd: '/', uid: ${JSON.stringify(u)}, env: { PROBE_FILE: ${JSON.stringify(join(t.home, 'state.json'))} } }`;
      writeFileSync(file, `module.exports = { apps: [${users.map(app).join(', ')}] };\n`);
      const started = await t.json<ProcessJson[]>(['start', file]);
      assert.equal(started.length, 2);
      const groupId = Number((await sh('getent', ['group', group])).stdout.split(':')[2]);
      const pids: number[] = [];
      for (const [i, u] of users.entries()) {
        const row = await t.app(u);
        const pid = row.pid as number;
        pids.push(pid);
        const uid = await idOf(u, '-u');
        const gid = await idOf(u, '-g');
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), `${u}: uid`);
        assert.match(status, new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'), `${u}: gid`);
        const groups = (/^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '').trim().split(/\s+/).map(Number);
        assert.ok(groups.includes(groupId), `${u}: supplementary group ${groupId} in ${groups.join(',')}`);
        for (const stream of ['in', 'out', 'err'])
          assert.equal(statSync(join(t.home, 'pipes', `${row.id}.${stream}`)).uid, uid, `${u}: FIFO ${stream}`);
        const out = join(t.home, 'logs', `${u}-out.log`);
        await waitFor(() => readFileSync(out, 'utf8').includes('probe: '), `${u}: its first lines`);
        assert.equal(statSync(out).uid, uid, `${u}: its log file`);
        assert.match(readFileSync(out, 'utf8'), /probe: EACCES/, `${u}: the daemon's home is closed to it`);
        const sent = await t.run(['send', u, `hello ${i}`]);
        assert.equal(sent.code, 0, sent.stderr);
        await waitFor(() => readFileSync(out, 'utf8').includes(`got hello ${i}`), `${u}: what was sent`);
        const logs = await t.run(['logs', u, '--lines', '20', '--nostream']);
        assert.match(logs.stdout, new RegExp(`got hello ${i}`), logs.stderr);
      }
      // One app's user cannot signal the other app.
      const uidA = await idOf(users[0] as string, '-u');
      const kill = await sh('setpriv', [
        `--reuid=${uidA}`,
        `--regid=${await idOf(users[0] as string, '-g')}`,
        '--init-groups',
        'kill',
        '-0',
        String(pids[1]),
      ]);
      assert.notEqual(kill.code, 0, 'the other app could be signalled');
      // Not yet with a holder (pty, cluster, listen): a one-line refusal.
      writeFileSync(
        file,
        `module.exports = { apps: [{ name: 'held', script: ${JSON.stringify(fixture('who-am-i.js'))}, uid: ${JSON.stringify(users[0])}, instances: 2, exec_mode: 'cluster' }] };\n`,
      );
      const held = await t.run(['start', file]);
      assert.equal(held.code, 2, held.stdout);
      assert.match(held.stderr.trim(), /^[^\n]*work for plain apps only[^\n]*$/);
    },
  );
});
