import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, TendHome, cleanEnv, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';
import { asRoot, sh, ThrowawayUsers } from '../helpers/throwaway-users.js';

const NOBODY = 65534;
const root = process.geteuid?.() === 0;

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
        const r = await sh(
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

describe("a root tend runs each app as its own user (PM2's uid/gid)", () => {
  const accounts = new ThrowawayUsers(2);
  const users = accounts.users;
  const dir = mkdtempSync(join(tmpdir(), 'tend-run-as-users-'));
  const t = new TendHome();

  asRoot.before(async () => {
    chmodSync(dir, 0o755);
    await accounts.create();
  });
  asRoot.after(async () => {
    await t.cleanup();
    await accounts.remove();
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
      const pids: number[] = [];
      for (const [i, u] of users.entries()) {
        const row = await t.app(u);
        const pid = row.pid as number;
        pids.push(pid);
        const uid = await accounts.id(u, '-u');
        await accounts.assertRunsAs(pid, u, u);
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
      assert.equal(await accounts.canSignal(users[0] as string, pids[1] as number), false, 'the other app could be signalled');
    },
  );
});
