import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TendHome, fixture, freePort, httpGet, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

describe('app lifecycle', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('starts an HTTP app as a daemon child and it answers', async () => {
    const port = await freePort();
    const [p] = await t.json<ProcessJson[]>(['start', fixture('http-server.js'), '--name', 'web', '--env', `PORT=${port}`]);
    assert.equal(p?.name, 'web');
    assert.equal(p?.status, 'online');
    assert.ok(p?.pid);
    const body = await waitFor(() => httpGet(port), 'the app to answer HTTP');
    assert.match(body, /hello from/);
    const log = await waitFor(() => readFileSync(join(t.home, 'logs', 'web-out.log'), 'utf8').includes('listening') && true, 'the out log');
    assert.ok(log);
  });

  it('lists with the documented JSON fields', async () => {
    const [p] = await t.list();
    for (const key of ['name', 'id', 'pid', 'status', 'restarts', 'uptimeMs']) assert.ok(p !== undefined && key in p, key);
  });

  it('refuses a duplicate name while it runs', async () => {
    const r = await t.run(['start', fixture('forever.js'), '--name', 'web']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already running/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('stops, starts again by name, restarts by id, and counts the restart', async () => {
    const running = await t.app('web');
    assert.ok(running.status === 'online' && running.pid !== null && isAlive(running.pid), 'the app runs before the stop');
    const stopped = await t.json<ProcessJson[]>(['stop', 'web']);
    assert.equal(stopped[0]?.status, 'stopped');
    assert.equal(stopped[0]?.pid, null);
    assert.equal(isAlive(running.pid), false, 'the stop ended the process');
    const again = await t.json<ProcessJson[]>(['start', 'web']);
    assert.equal(again[0]?.status, 'online');
    const before = again[0]?.pid;
    const restarted = await t.json<ProcessJson[]>(['restart', String(again[0]?.id)]);
    assert.notEqual(restarted[0]?.pid, before);
    assert.equal(restarted[0]?.restarts, 1);
    assert.equal(isAlive(before as number), false);
  });

  it('describes an app with spec, pids and log paths, redacting secrets', async () => {
    await t.json(['start', fixture('forever.js'), '--name', 'secretive', '--env', 'API_TOKEN=hunter2', '--env', 'PLAIN=visible']);
    const [d] = await t.json<Array<{ spec: { env: Record<string, string> }; logs: { out: string } }>>(['describe', 'secretive']);
    assert.equal(d?.spec.env.API_TOKEN, '[redacted]');
    assert.equal(d?.spec.env.PLAIN, 'visible');
    assert.equal(d?.logs.out, join(t.home, 'logs', 'secretive-out.log'));
    const [shown] = await t.json<Array<{ spec: { env: Record<string, string> } }>>(['describe', 'secretive', '--show-secrets']);
    assert.equal(shown?.spec.env.API_TOKEN, 'hunter2');
  });

  it('does not pass login-session variables to apps', async () => {
    const env = { ...t.env, SSH_AUTH_SOCK: '/tmp/agent', TMUX: '/tmp/tmux,1,0', KEEP_ME: 'yes' };
    const r = await t.run(['start', '--name', 'envcheck', '--json', '--', 'sh', '-c', 'env; sleep 600'], { env });
    assert.equal(r.code, 0, r.stderr);
    t.remember(JSON.parse(r.stdout));
    const out = await waitFor(() => {
      const text = readFileSync(join(t.home, 'logs', 'envcheck-out.log'), 'utf8');
      return text.includes('KEEP_ME') ? text : undefined;
    }, 'env output');
    assert.match(out, /KEEP_ME=yes/);
    assert.doesNotMatch(out, /SSH_AUTH_SOCK|TMUX=/);
  });

  it('runs any command with args after --, and through a shell with --shell', async () => {
    const r = await t.json<ProcessJson[]>(['start', '--name', 'sleeper', '--', 'sleep', '600']);
    assert.equal(r[0]?.status, 'online');
    const s = await t.json<ProcessJson[]>(['start', '--shell', '--name', 'shelled', '--', 'echo $((6*7)); sleep 600']);
    assert.equal(s[0]?.status, 'online');
    await waitFor(() => readFileSync(join(t.home, 'logs', 'shelled-out.log'), 'utf8').includes('42'), 'shell output');
  });

  it('runs a script with another interpreter', async () => {
    const r = await t.json<ProcessJson[]>(['start', '--interpreter', 'sh', fixture('../scripts/hello.sh'), '--name', 'shscript']);
    assert.ok(r[0]?.pid);
    await waitFor(() => readFileSync(join(t.home, 'logs', 'shscript-out.log'), 'utf8').includes('hello from sh'), 'sh output');
  });

  it('writes a line to stdin with send', async () => {
    await t.json(['start', fixture('echo-stdin.js'), '--name', 'echo']);
    const r = await t.run(['send', 'echo', 'hello', 'there']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => readFileSync(join(t.home, 'logs', 'echo-out.log'), 'utf8').includes('got: hello there'), 'echoed line');
  });

  it('sends a signal by name', async () => {
    const [p] = await t.json<ProcessJson[]>([
      'start',
      fixture('crash-after.js'),
      '--name',
      'sig',
      '--env',
      'CRASH_AFTER_MS=600000',
      '--no-autorestart',
    ]);
    const r = await t.run(['signal', 'SIGUSR2', 'sig']);
    assert.equal(r.code, 0, r.stderr);
    const app = await waitFor(async () => {
      const a = await t.app('sig');
      return a.status === 'stopped' ? a : undefined;
    }, 'the signalled app to stop');
    assert.equal(app.lastExit?.signal, 'SIGUSR2');
    assert.equal(isAlive(p?.pid as number), false);
  });

  it('deletes apps by target all', async () => {
    const before = await t.list();
    const r = await t.json<ProcessJson[]>(['delete', 'all']);
    assert.equal(r.length, before.length);
    assert.deepEqual(await t.list(), []);
    for (const p of before) if (p.pid !== null) assert.equal(isAlive(p.pid), false);
  });
});
