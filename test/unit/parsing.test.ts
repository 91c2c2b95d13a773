import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBytes } from '../../src/lib/bytes.js';
import { parseDuration } from '../../src/lib/duration.js';
import { parseSignal } from '../../src/lib/signals.js';
import { splitArgs } from '../../src/lib/split-args.js';
import { parseStat } from '../../src/procfs/procfs.js';
import { resolveTarget } from '../../src/supervisor/targets.js';
import { buildCommand } from '../../src/lib/command-line.js';
import { inheritableEnv } from '../../src/config/env.js';
import { redactEnv } from '../../src/protocol/secrets.js';

describe('value parsing, one way everywhere', () => {
  it('durations: milliseconds or units', () => {
    assert.equal(parseDuration(1500), 1500);
    assert.equal(parseDuration('1500'), 1500);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('250ms'), 250);
    for (const bad of ['-5', 'soon', '', -1, '1.5x', null])
      assert.throws(() => parseDuration(bad, 'kill_timeout'), { code: 'E_INVALID_VALUE' });
  });

  it('sizes: bytes or binary units', () => {
    assert.equal(parseBytes('10M'), 10 * 1024 * 1024);
    assert.equal(parseBytes('512K'), 512 * 1024);
    assert.equal(parseBytes('1.5G'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('200MB'), 200 * 1024 * 1024);
    assert.equal(parseBytes(1024), 1024);
    assert.throws(() => parseBytes('abc', 'log_max_size'), /Expected `log_max_size` to be a size like `200M`/);
  });

  it('signals by name, short name or number', () => {
    assert.equal(parseSignal('term'), 'SIGTERM');
    assert.equal(parseSignal('SIGUSR2'), 'SIGUSR2');
    assert.equal(parseSignal(9), 'SIGKILL');
    assert.throws(() => parseSignal('SIGNOPE'), { code: 'E_INVALID_SIGNAL' });
  });

  it('splits args like a shell (quotes, escapes), without expansion', () => {
    assert.deepEqual(splitArgs(`--a 1 "two words" 'it''s' back\\ slash $HOME`), ['--a', '1', 'two words', 'its', 'back slash', '$HOME']);
  });

  it('parses /proc/PID/stat with spaces and parentheses in the name', () => {
    const line = '1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 55555 1000000 250 18446744073709551615';
    const st = parseStat(line);
    assert.equal(st?.pid, 1234);
    assert.equal(st?.ppid, 1);
    assert.equal(st?.session, 1234);
    assert.equal(st?.utimeTicks, 7);
    assert.equal(st?.startTicks, '55555');
    assert.equal(st?.rssPages, 250);
  });

  it('resolves targets by id, name, namespace and all; unknown names list the known ones', () => {
    const apps = [
      { id: 1, spec: { name: 'api', namespace: 'web' } },
      { id: 0, spec: { name: 'worker', namespace: 'jobs' } },
    ];
    assert.deepEqual(
      resolveTarget(apps, 'all').map((a) => a.id),
      [0, 1],
    );
    assert.deepEqual(
      resolveTarget(apps, 1).map((a) => a.id),
      [1],
    );
    assert.deepEqual(
      resolveTarget(apps, 'api').map((a) => a.id),
      [1],
    );
    assert.deepEqual(
      resolveTarget(apps, 'jobs').map((a) => a.id),
      [0],
    );
    assert.throws(
      () => resolveTarget(apps, 'ghost'),
      (e: Error & { code?: string; hint?: string }) => e.code === 'E_APP_NOT_FOUND' && /api \(1\)/.test(e.hint ?? ''),
    );
  });

  it('builds command lines: current node, other interpreters, direct, shell', () => {
    const base = { args: ['a b'], interpreterArgs: ['--x'], shell: false };
    assert.deepEqual(buildCommand({ ...base, script: '/s.js', interpreter: 'node' }, '/n'), { file: '/n', args: ['--x', '/s.js', 'a b'] });
    assert.deepEqual(buildCommand({ ...base, script: '/s.py', interpreter: 'python3' }), {
      file: 'python3',
      args: ['--x', '/s.py', 'a b'],
    });
    assert.deepEqual(buildCommand({ ...base, script: 'sleep', interpreter: null }), { file: 'sleep', args: ['a b'] });
    assert.deepEqual(buildCommand({ ...base, script: 'echo $HOME', interpreter: null, shell: true }), {
      file: '/bin/sh',
      args: ['-c', "echo $HOME 'a b'"],
    });
  });

  it('drops login-session variables and redacts secret-looking values', () => {
    const env = inheritableEnv({ PATH: '/bin', SSH_AUTH_SOCK: 'x', TERM: 'xterm', TMUX: 't', SHLVL: '2', KEEP: '1' });
    assert.deepEqual(env, { PATH: '/bin', KEEP: '1' });
    assert.deepEqual(redactEnv({ API_TOKEN: 'a', DB_PASSWORD: 'b', AWS_SECRET_ACCESS_KEY: 'c', PORT: '80' }), {
      API_TOKEN: '[redacted]',
      DB_PASSWORD: '[redacted]',
      AWS_SECRET_ACCESS_KEY: '[redacted]',
      PORT: '80',
    });
  });
});

describe('version', () => {
  it('src/version.ts matches package.json', async () => {
    const { readFileSync } = await import('node:fs');
    const { VERSION } = await import('../../src/version.js');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});

describe('systemd unit detection', () => {
  it('reads the unit from the cgroup path, only under systemd', async () => {
    const { detectSystemdUnit } = await import('../../src/daemon/systemd-unit.js');
    const env = { INVOCATION_ID: 'abc' };
    assert.deepEqual(detectSystemdUnit(env, '0::/system.slice/tend-root.service\n'), { name: 'tend-root.service', scope: 'system' });
    assert.deepEqual(detectSystemdUnit(env, '0::/user.slice/user-1000.slice/user@1000.service/app.slice/tend.service\n'), {
      name: 'tend.service',
      scope: 'user',
    });
    assert.equal(detectSystemdUnit(env, '0::/user.slice/user-1000.slice/session-3.scope\n'), null);
    assert.equal(detectSystemdUnit({}, '0::/system.slice/tend-root.service\n'), null);
  });
});
