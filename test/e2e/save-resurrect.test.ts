import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, httpGet, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Resurrected {
  apps: ProcessJson[];
  source: 'dump' | 'backup';
  notices: string[];
}

/** The environment a process really has, minus what tend sets per incarnation. */
function environOf(pid: number): string[] {
  const perRun = /^(TEND_INSTANCE_TOKEN|TEND_APP_ID|NODE_APP_INSTANCE)=/;
  return readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .filter((e) => e !== '' && !perRun.test(e))
    .sort();
}

describe('save and resurrect', () => {
  let t: TendHome;
  let port = 0;
  let webEnv: string[] = [];
  const dump = (): string => join(t.home, 'dump.json');
  const backup = (): string => join(t.home, 'dump.json.bak');
  before(async () => {
    t = new TendHome({ SESSION_SECRET: 'real-value', ODD_VALUE: 'a "quoted" $dollar 100% \\ end', SSH_AUTH_SOCK: '/tmp/agent.sock' });
    port = await freePort();
  });
  after(async () => {
    await t.cleanup();
  });

  it('refuses to save nothing without --force (one line, exit 2)', async () => {
    const r = await t.run(['save']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no apps to save.*--force/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const forced = await t.json<{ file: string; apps: string[] }>(['save', '--force']);
    assert.deepEqual(forced.apps, []);
    assert.equal(forced.file, dump());
  });

  it('saves the running set to a 0600 file, with real secret values, in a 0700 home', async () => {
    await t.json(['start', fixture('http-server.js'), '--name', 'web', '--env', `PORT=${port}`]);
    await t.json(['start', fixture('forever.js'), '--name', 'idle']);
    await t.json(['start', fixture('forever.js'), '--name', 'parked']);
    await t.json(['stop', 'parked']);
    const saved = await t.json<{ apps: string[] }>(['save']);
    assert.deepEqual(saved.apps, ['web', 'idle'], 'a stopped app is not part of the running set');
    assert.equal(statSync(dump()).mode & 0o777, 0o600);
    assert.equal(statSync(t.home).mode & 0o777, 0o700);
    const content = JSON.parse(readFileSync(dump(), 'utf8')) as { version: number; apps: { env: Record<string, string> }[] };
    assert.equal(content.version, 1);
    assert.equal(content.apps[0]?.env.SESSION_SECRET, 'real-value');
    assert.equal(content.apps[0]?.env.SSH_AUTH_SOCK, undefined, 'login-session variables are not saved');
    const described = await t.json<{ spec: { env: Record<string, string> } }[]>(['describe', 'web']);
    assert.equal(described[0]?.spec.env.SESSION_SECRET, '[redacted]');
  });

  it('a daemon restart and tend kill leave dump.json byte-identical', async () => {
    const before = readFileSync(dump());
    const mtime = statSync(dump()).mtimeMs;
    assert.equal((await t.run(['daemon', 'restart'])).code, 0);
    assert.deepEqual(readFileSync(dump()), before);
    const web = await t.app('web');
    t.track(web.pid as number);
    webEnv = environOf(web.pid as number);
    assert.equal((await t.run(['kill'])).code, 0);
    assert.deepEqual(readFileSync(dump()), before);
    assert.equal(statSync(dump()).mtimeMs, mtime);
  });

  it('resurrect starts the saved apps, which see the same environment as before', async () => {
    const r = await t.json<Resurrected>(['resurrect']);
    assert.equal(r.source, 'dump');
    assert.deepEqual(
      r.apps.map((a) => [a.name, a.status]),
      [
        ['web', 'online'],
        ['idle', 'online'],
      ],
    );
    assert.deepEqual(r.notices, []);
    await waitFor(() => httpGet(port), 'web to answer after resurrect');
    const web = await t.app('web');
    assert.deepEqual(environOf(web.pid as number), webEnv);
    assert.ok((await t.list()).every((p) => p.name !== 'parked'));
  });

  it('a second resurrect leaves running apps alone and says so', async () => {
    const pid = (await t.app('web')).pid;
    const r = await t.json<Resurrected>(['resurrect']);
    assert.deepEqual(r.apps, []);
    assert.deepEqual(r.notices, ['web is already running; left as it is', 'idle is already running; left as it is']);
    assert.equal((await t.app('web')).pid, pid);
  });

  it('keeps the previous dump as the backup and falls back to it when the dump is corrupt', async () => {
    const first = readFileSync(dump(), 'utf8');
    await t.json(['stop', 'idle']);
    assert.deepEqual((await t.json<{ apps: string[] }>(['save'])).apps, ['web']);
    assert.equal(readFileSync(backup(), 'utf8'), first);
    writeFileSync(dump(), readFileSync(dump(), 'utf8').slice(0, 40));
    await t.run(['kill']);
    const r = await t.json<Resurrected>(['resurrect']);
    assert.equal(r.source, 'backup');
    assert.deepEqual(
      r.apps.map((a) => a.name),
      ['web', 'idle'],
    );
    assert.match(r.notices[0] ?? '', /dump\.json cannot be used \(not valid JSON, perhaps truncated.*using dump\.json\.bak/);
    const human = await t.run(['resurrect']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /already running/);
  });

  it('both unreadable: a one-line E_STATE_CORRUPT error, nothing started, files untouched', async () => {
    await t.run(['kill']);
    writeFileSync(backup(), 'garbage');
    const files = [readFileSync(dump()), readFileSync(backup())];
    const r = await t.run(['resurrect']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^tend: the saved app list cannot be read \(dump\.json: .*; dump\.json\.bak: .*\) — Nothing was started or changed/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.deepEqual([readFileSync(dump()), readFileSync(backup())], files);
    assert.deepEqual(await t.list(), []);
  });

  it("resurrect --boot runs once per boot (marker in the unit's RUNTIME_DIRECTORY)", async () => {
    await t.json(['start', fixture('forever.js'), '--name', 'solo']);
    await t.json(['save']);
    await t.json(['stop', 'solo']);
    const runtime = mkdtempSync(join(tmpdir(), 'tend-runtime-'));
    try {
      const env = { ...t.env, RUNTIME_DIRECTORY: runtime };
      const first = await t.run(['resurrect', '--boot', '--json'], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(
        (JSON.parse(first.stdout) as Resurrected).apps.map((a) => a.name),
        ['solo'],
      );
      t.remember((JSON.parse(first.stdout) as Resurrected).apps);
      await t.json(['stop', 'solo']);
      const second = await t.run(['resurrect', '--boot', '--json'], { env });
      assert.deepEqual((JSON.parse(second.stdout) as Resurrected).apps, []);
      assert.equal((await t.app('solo')).status, 'stopped', 'a stopped app stays stopped');
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  });

  it('saves an app caught in the stop phase of a restart (its next run follows)', async () => {
    const fresh = new TendHome();
    try {
      // A stop phase long enough to be seen by a CLI on a loaded machine.
      await fresh.json(['start', fixture('ignore-sigterm.js'), '--name', 'slow-stop', '--kill-signal', 'SIGTERM', '--kill-timeout', '12s']);
      const restart = fresh.run(['restart', 'slow-stop'], { timeoutMs: 60_000 });
      await waitFor(
        async () => ((await fresh.app('slow-stop')).status === 'stopping' ? true : undefined),
        'the restart to be stopping',
        30_000,
      );
      const r = await fresh.run(['save']);
      assert.equal(r.code, 0, r.stderr);
      const saved = JSON.parse(readFileSync(join(fresh.home, 'dump.json'), 'utf8')) as { apps: Array<{ name: string }> };
      assert.deepEqual(
        saved.apps.map((a) => a.name),
        ['slow-stop'],
      );
      assert.equal((await restart).code, 0);
    } finally {
      await fresh.cleanup();
    }
  });

  it('with nothing saved, resurrect says so and succeeds', async () => {
    const fresh = new TendHome();
    try {
      const r = await fresh.json<Resurrected>(['resurrect']);
      assert.deepEqual(r.apps, []);
      assert.match(r.notices[0] ?? '', /nothing saved yet/);
    } finally {
      await fresh.cleanup();
    }
  });
});
