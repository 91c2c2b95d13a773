import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, isAlive, waitFor } from '../helpers/tend.js';

interface Posted {
  event: string;
  app: string;
  status: string;
  restarts: number;
  lastExit: { code: number | null } | null;
}

describe('hooks: commands and HTTP POSTs on app events', () => {
  let t: TendHome;
  let server: Server;
  let port = 0;
  const posted: Posted[] = [];
  before(async () => {
    t = new TendHome({ TEND_HOOK_TIMEOUT_MS: '400' });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        posted.push(JSON.parse(body) as Posted);
        res.statusCode = req.url === '/fail' ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await t.cleanup();
    server.close();
  });
  const daemonLog = (): Array<Record<string, unknown>> =>
    readFileSync(join(t.home, 'daemon.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const config = (name: string, apps: unknown[]): string => {
    const path = join(t.home, name);
    writeFileSync(path, JSON.stringify({ apps }));
    return path;
  };

  it('POSTs crash, restart and errored events of a crash loop to a loopback URL', async () => {
    const url = `http://127.0.0.1:${port}/hook`;
    const f = config('loop.config.json', [
      {
        name: 'flaky',
        script: fixture('crash-after.js'),
        env: { CRASH_AFTER_MS: '100' },
        max_restarts: 2,
        restart_delay: 50,
        hooks: { crash: { url }, restart: { url }, errored: { url }, online: { url } },
      },
    ]);
    assert.equal((await t.run(['start', f])).code, 0);
    await waitFor(() => posted.some((p) => p.app === 'flaky' && p.event === 'errored'), 'the errored POST');
    const events = posted.filter((p) => p.app === 'flaky').map((p) => p.event);
    assert.ok(events.filter((e) => e === 'crash').length >= 2, events.join(' '));
    assert.ok(events.includes('restart') && events.includes('online'), events.join(' '));
    const errored = posted.find((p) => p.event === 'errored') as Posted;
    assert.equal(errored.status, 'errored');
    assert.equal(errored.lastExit?.code, 1);
    await t.run(['delete', 'flaky']);
  });

  it('runs a command with the event as JSON on stdin and TEND_EVENT / TEND_APP_NAME; stop fires on tend stop', async () => {
    const out = join(t.home, 'hook-out');
    const f = config('cmd.config.json', [
      {
        name: 'svc',
        script: fixture('forever.js'),
        hooks: {
          online: `cat > ${out}-$TEND_EVENT.json; echo "$TEND_EVENT $TEND_APP_NAME" >> ${out}.env`,
          stop: `cat > ${out}-$TEND_EVENT.json`,
        },
      },
    ]);
    await t.run(['start', f]);
    await waitFor(
      () => existsSync(`${out}-online.json`) && readFileSync(`${out}-online.json`, 'utf8').endsWith('}'),
      'the online hook output',
    );
    const online = JSON.parse(readFileSync(`${out}-online.json`, 'utf8')) as Posted & { pid: number };
    assert.equal(online.event, 'online');
    assert.equal(online.app, 'svc');
    assert.ok(online.pid > 0);
    // The hook writes the .env line after the JSON: wait for it too.
    await waitFor(() => existsSync(`${out}.env`) && readFileSync(`${out}.env`, 'utf8').endsWith('\n'), 'the hook environment line');
    assert.equal(readFileSync(`${out}.env`, 'utf8'), 'online svc\n');
    await t.run(['stop', 'svc']);
    await waitFor(() => existsSync(`${out}-stop.json`) && readFileSync(`${out}-stop.json`, 'utf8').endsWith('}'), 'the stop hook output');
    assert.equal((JSON.parse(readFileSync(`${out}-stop.json`, 'utf8')) as Posted).status, 'stopped');
    await t.run(['delete', 'svc']);
  });

  it('a hook that hangs is killed at the time limit, failures are logged, supervision goes on', async () => {
    const pidFile = join(t.home, 'hang.pid');
    const f = config('hang.config.json', [
      {
        name: 'hang',
        script: fixture('forever.js'),
        hooks: {
          online: `echo $$ > ${pidFile}; exec sleep 30`,
          stop: 'echo nope >&2; exit 3',
          restart: { url: `http://127.0.0.1:${port}/fail` },
        },
      },
    ]);
    await t.run(['start', f]);
    // The app is online at once although its online hook is still running.
    assert.equal((await t.app('hang')).status, 'online');
    await waitFor(
      () => daemonLog().some((l) => l.event === 'hook-failed' && l.app === 'hang' && l.hook === 'online'),
      'the hung hook to be reported',
    );
    const hung = daemonLog().find((l) => l.event === 'hook-failed' && l.hook === 'online');
    assert.match(String(hung?.error), /killed after 400 ms/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isAlive(pid), 'the hung hook process to be gone');
    await t.run(['restart', 'hang']);
    await waitFor(
      () => daemonLog().some((l) => l.event === 'hook-failed' && l.hook === 'restart' && l.error === 'HTTP 500'),
      'the refused POST logged',
    );
    assert.equal((await t.app('hang')).status, 'online');
    await t.run(['stop', 'hang']);
    await waitFor(
      () => daemonLog().some((l) => l.event === 'hook-failed' && l.hook === 'stop' && /exit code 3: nope/.test(String(l.error))),
      'the failing stop hook logged',
    );
    await t.run(['delete', 'hang']);
  });
});
