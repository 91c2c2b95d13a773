import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe } from 'node:test';
import { BIN, TendHome, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { commandMissing, needs } from '../helpers/needs.js';

const req = needs(commandMissing('tmux', ['-V'], 'CI installs it'));
const withPython = needs(req.missing ?? commandMissing('python3', ['-V']));

interface Detail extends ProcessJson {
  logs: { out: string };
}

describe('attach to a pty app from a real terminal (tmux)', () => {
  let t: TendHome;
  let sock: string;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', sock, ...args], { env: t.env }).toString();
  const pane = (win: string): string => tmux('capture-pane', '-p', '-t', win);
  const shown = (win: string, text: string | RegExp, what: string): Promise<string> =>
    waitFor(
      () => {
        const p = pane(win);
        return (typeof text === 'string' ? p.includes(text) : text.test(p)) ? p : undefined;
      },
      what,
      15_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the pane shows:\n${pane(win)}`);
    });
  const attachCmd = (app: string): string => `${process.execPath} ${BIN} attach ${app}; echo attach-exit-$?`;
  const window = (name: string): void => {
    tmux('new-window', '-d', '-n', name, 'sh');
    tmux('send-keys', '-t', name, `export TEND_HOME=${t.home} PS1='$ '; clear`, 'Enter');
  };

  req.before(() => {
    t = new TendHome();
    sock = `tend-attach-${process.pid}`;
    execFileSync('tmux', ['-L', sock, '-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', '100', '-y', '30', 'sh'], { env: t.env });
    const server = spawnSync('tmux', ['-L', sock, 'display-message', '-p', '#{pid}']);
    if (server.status === 0) t.track(Number(server.stdout.toString().trim()));
  });
  req.after(async () => {
    spawnSync('tmux', ['-L', sock, 'kill-server']);
    await t.cleanup();
  });

  req.it('node REPL: type, see the result, resize, detach, re-attach redraws, logs are plain text', async () => {
    const [app] = await t.json<ProcessJson[]>(['start', '--pty', '--name', 'noderepl', '--', process.execPath, '-i']);
    assert.equal(app?.status, 'online');
    window('w1');
    tmux('send-keys', '-t', 'w1', attachCmd('noderepl'), 'Enter');
    await shown('w1', /^> ?$/m, 'the node prompt');
    tmux('send-keys', '-t', 'w1', '6 * 7', 'Enter');
    await shown('w1', /^42$/m, '42 on screen');
    // The window follows the terminal's size.
    tmux('resize-window', '-t', 'w1', '-x', '72', '-y', '20');
    tmux('send-keys', '-t', 'w1', '[process.stdout.columns, process.stdout.rows].join("x")', 'Enter');
    await shown('w1', "'72x20'", 'the app to see the new size');
    // Detach: Ctrl-] — back in the shell, the app still runs.
    tmux('send-keys', '-t', 'w1', 'C-]');
    await shown('w1', 'attach-exit-0', 'attach to end after the detach key');
    assert.match(pane('w1'), /detached from noderepl/);
    const after = await t.app('noderepl');
    assert.equal(after.pid, app?.pid);
    assert.equal(isAlive(after.pid as number), true);
    // Re-attach: the earlier output is drawn again from the holder's screen.
    tmux('send-keys', '-t', 'w1', 'clear; ' + attachCmd('noderepl'), 'Enter');
    await shown('w1', /^42$/m, 'earlier output redrawn on re-attach');
    // Ctrl-C goes to the app (the REPL says so), it does not end attach.
    tmux('send-keys', '-t', 'w1', 'C-c');
    await shown('w1', /To exit, press Ctrl\+C again/, 'the REPL to receive Ctrl-C');
    tmux('send-keys', '-t', 'w1', 'C-]');
    await shown('w1', 'attach-exit-0', 'second detach');
    const [d] = await t.json<Detail[]>(['describe', 'noderepl']);
    const log = readFileSync(d?.logs.out as string, 'utf8');
    assert.match(log, /^42$/m);
    assert.doesNotMatch(log, /\x1b/, 'ANSI escapes stripped from the log');
  });

  withPython.it('python3 REPL with two attachers at once; tend send still types into it; attach after a daemon kill -9', async () => {
    const [app] = await t.json<ProcessJson[]>(['start', '--pty', '--name', 'py', '--', 'python3', '-q']);
    window('a');
    window('b');
    tmux('send-keys', '-t', 'a', attachCmd('py'), 'Enter');
    tmux('send-keys', '-t', 'b', attachCmd('py'), 'Enter');
    await shown('a', /^>>> ?$/m, 'python prompt in a');
    await shown('b', /^>>> ?$/m, 'python prompt in b');
    tmux('send-keys', '-t', 'a', 'print("from-a", 40 + 2)', 'Enter');
    await shown('b', 'from-a 42', 'b sees what a typed');
    const sent = await t.run(['send', 'py', 'print("sent", 2 ** 10)']);
    assert.equal(sent.code, 0, sent.stderr);
    await shown('a', 'sent 1024', 'a sees the line from tend send');
    tmux('send-keys', '-t', 'a', 'C-]');
    tmux('send-keys', '-t', 'b', 'C-]');
    await shown('a', 'attach-exit-0', 'a detached');
    await shown('b', 'attach-exit-0', 'b detached');
    // kill -9 the daemon: the holder keeps the terminal, the next daemon adopts it.
    const daemon = t.daemonPid() as number;
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    assert.equal(isAlive(app?.pid as number), true);
    tmux('send-keys', '-t', 'a', 'clear; ' + attachCmd('py'), 'Enter');
    await shown('a', 'sent 1024', 'the screen redrawn through the new daemon');
    tmux('send-keys', '-t', 'a', 'print("after", 1 + 1)', 'Enter');
    await shown('a', 'after 2', 'typing still works after re-adoption');
    const again = await t.app('py');
    assert.equal(again.pid, app?.pid);
    assert.equal(again.adopted, true);
    // Exit the REPL from the terminal: attach reports it, the supervisor restarts it as any exit.
    tmux('send-keys', '-t', 'a', 'exit(3)', 'Enter');
    await shown('a', /py exited with code 3[\s\S]*attach-exit-0/, 'attach to report the exit');
  });

  req.it('refuses a non-pty app and a non-terminal stdin with a one-line error', async () => {
    await t.json(['start', '--name', 'plain', '--', 'sleep', '1000']);
    window('c');
    tmux('send-keys', '-t', 'c', `${process.execPath} ${BIN} attach plain; echo code-$?`, 'Enter');
    const p = await shown('c', /code-\d/, 'attach to a non-pty app to fail');
    assert.match(p, /does not run on a terminal/);
    assert.match(p, /code-2/);
    const r = await t.run(['attach', 'py']); // stdin of execFile is a pipe
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a terminal/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
