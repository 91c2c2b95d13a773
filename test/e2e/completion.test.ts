import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { BIN, TendHome, waitFor } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';

const tmux = needs(
  spawnSync('tmux', ['-V']).status === 0 && spawnSync('bash', ['--version']).status === 0
    ? null
    : 'tmux and bash are needed (scripts/test.sh installs tmux)',
);

/** A real bash in a private tmux server, with `eval "$(tend completion bash)"` as a user would. */
describe('shell completion in a real bash', () => {
  let t: TendHome;
  let socket: string;
  const keys = (...k: string[]): void => {
    execFileSync('tmux', ['-S', socket, 'send-keys', '-t', 'c', ...k]);
  };
  const screen = (): string => execFileSync('tmux', ['-S', socket, 'capture-pane', '-p', '-t', 'c']).toString();
  /** Types `text`, presses TAB (twice when asked), waits for `expected` (tmux drops trailing blanks), then clears the line. */
  async function complete(text: string, expected: RegExp, tabs = 1): Promise<string> {
    keys('-l', text);
    for (let i = 0; i < tabs; i++) keys('Tab');
    const seen = await waitFor(() => (expected.test(screen()) ? screen() : null), `completion of "${text}" to match ${expected}`, 15_000);
    keys('C-u');
    keys('-l', 'clear');
    keys('Enter');
    await waitFor(() => !expected.test(screen()), 'the screen to clear', 10_000);
    return seen;
  }

  tmux.before(async () => {
    t = new TendHome();
    socket = join(t.home, 'tmux.sock');
    const bin = join(t.home, 'bin');
    mkdirSync(bin);
    symlinkSync(BIN, join(bin, 'tend'));
    const rc = join(t.home, 'bashrc');
    writeFileSync(rc, `PS1='$ '\nexport PATH=${bin}:$PATH\neval "$(tend completion bash)"\n`);
    execFileSync(
      'tmux',
      [
        '-S',
        socket,
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-s',
        'c',
        '-x',
        '200',
        '-y',
        '40',
        'bash',
        '--noprofile',
        '--rcfile',
        rc,
        '-i',
      ],
      { env: { ...t.env, TERM: 'xterm' } },
    );
    await waitFor(() => screen().includes('$'), 'the bash prompt', 15_000);
  });
  tmux.after(async () => {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    await t.cleanup();
  });

  tmux.it("completes commands, flags, enum values and the daemon's app names", async () => {
    await complete('tend resu', /\$ tend resurrect\s*$/m);
    // Several matches: the second TAB lists them.
    const listed = await complete('tend res', /reset\s+restart\s+restartall\s+resurrect/, 2);
    assert.match(listed, /resurrect/);
    await complete('tend start --max-mem', /--max-memory-restart\s*$/m);
    await complete('tend start app.js --exec-mode clu', /--exec-mode cluster/);
    await complete('tend completion z', /completion zsh\s*$/m);
    // App names come from the running daemon.
    const r = await t.run(['start', '--name', 'webapp1', '--', 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    t.remember((await t.list())[0]);
    await complete('tend restart weba', /\$ tend restart webapp1\s*$/m);
    // No app matches: file names, as for any command.
    writeFileSync(join(t.home, 'ecosystem.config.js'), 'module.exports = { apps: [] };\n');
    keys('-l', `cd ${t.home}`);
    keys('Enter');
    await complete('tend apply ecosys', /tend apply ecosystem\.config\.js/);
  });
});
