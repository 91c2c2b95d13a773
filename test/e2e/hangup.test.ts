import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe } from 'node:test';
import { needs } from '../helpers/needs.js';
import { BIN, ROOT, TendHome, fixture, freePort, httpGet, isAlive, waitFor } from '../helpers/tend.js';

const tmux = needs(spawnSync('tmux', ['-V']).status === 0 ? null : 'tmux is not installed (scripts/test.sh installs it)');

describe('surviving the terminal (a real tmux session)', () => {
  let t: TendHome;
  // The server's socket lives in the test's home (-S), so the home's removal removes it too.
  let socket: string;
  tmux.before(() => {
    t = new TendHome();
    socket = join(t.home, 'tmux.sock');
  });
  tmux.after(async () => {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    await t.cleanup();
  });

  tmux.it('an app started from a shell in tmux still answers after tmux kill-session', async () => {
    const port = await freePort();
    const tmuxServerPid = (): number | null => {
      const r = spawnSync('tmux', ['-S', socket, 'display-message', '-p', '#{pid}']);
      return r.status === 0 ? Number(r.stdout.toString().trim()) : null;
    };
    // A private tmux server (-S), a login-like shell with the test's TEND_HOME.
    execFileSync('tmux', ['-S', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'hup', '-x', '120', '-y', '30', 'sh'], {
      env: t.env,
    });
    const server = tmuxServerPid();
    if (server !== null) t.track(server);
    const cmd = `cd ${ROOT} && TEND_HOME=${t.home} PORT=${port} ${process.execPath} ${BIN} start ${fixture('http-server.js')} --name hup > ${t.home}/start.out 2>&1; echo started-$?`;
    execFileSync('tmux', ['-S', socket, 'send-keys', '-t', 'hup', cmd, 'Enter']);
    await waitFor(
      () => {
        const pane = execFileSync('tmux', ['-S', socket, 'capture-pane', '-p', '-t', 'hup']).toString();
        return pane.includes('started-0');
      },
      'tend start to finish inside tmux',
      20_000,
    );
    assert.ok(await waitFor(() => httpGet(port), 'the app to answer'));
    const app = await t.app('hup');
    execFileSync('tmux', ['-S', socket, 'kill-session', '-t', 'hup']);
    if (server !== null) await waitFor(() => !isAlive(server), 'the tmux server to exit');
    // The app and the daemon live on after the terminal is gone.
    assert.equal(isAlive(app.pid as number), true);
    const body = await waitFor(() => httpGet(port), 'the app to answer after kill-session');
    assert.match(body, /hello from/);
    assert.equal((await t.app('hup')).pid, app.pid, 'the app was not restarted: it was never hit');
  });
});
