import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeStatus } from '../../src/spawner/child-reaper.js';
import { loadLibc } from '../../src/spawner/libc.js';
import { launchApp, spawnerKind, type AppChild, type SpawnRequest } from '../../src/spawner/spawn-app.js';
import { needs } from '../helpers/needs.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tend-spawner-'));
  dirs.push(d);
  return d;
};
const started: number[] = [];
after(() => {
  for (const pid of started)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** stdin /dev/null, stdout and stderr into files of `dir`. */
function stdio(dir: string): [number, number, number] {
  return [openSync('/dev/null', 'r'), openSync(join(dir, 'out'), 'w'), openSync(join(dir, 'err'), 'w')];
}

function launch(
  req: Omit<SpawnRequest, 'stdio' | 'cwd' | 'env' | 'ipc'> & Partial<SpawnRequest>,
): Promise<{ child: AppChild; dir: string }> {
  const dir = tempDir();
  const fds = req.stdio ?? stdio(dir);
  return new Promise((resolve, reject) => {
    launchApp({ cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, ipc: false, ...req, stdio: fds }, (err, child) => {
      for (const fd of fds) closeSync(fd);
      if (err !== null || child === null) return reject(err);
      if (child.pid !== undefined) started.push(child.pid);
      resolve({ child, dir });
    });
  });
}

const exited = (child: AppChild): Promise<{ code: number | null; signal: string | null }> =>
  new Promise((resolve) => child.onExit((code, signal) => resolve({ code, signal })));

function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

const withLibc = needs(loadLibc() === null ? 'koffi cannot load libc here' : null);

describe('the native spawner (posix_spawn through libc)', () => {
  it('is the one in use where libc loads', () => {
    assert.equal(spawnerKind().kind, loadLibc() === null ? 'child_process' : 'posix_spawn');
  });

  withLibc.it('starts the command in its own session, in cwd, with exactly the env given, output to the fds', async () => {
    const { child, dir } = await launch({
      file: 'sh',
      args: ['-c', 'echo "$FOO:$(pwd)"; echo oops >&2; sleep 30'],
      env: { PATH: '/usr/bin:/bin', FOO: 'bar' },
    });
    const pid = child.pid as number;
    assert.equal(sessionOf(pid), pid, 'a new session led by the child');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).sort();
    assert.deepEqual(environ, ['FOO=bar', 'PATH=/usr/bin:/bin']);
    const deadline = Date.now() + 5000;
    while (!readFileSync(join(dir, 'err'), 'utf8').includes('oops') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), `bar:${dir}\n`);
    assert.equal(readFileSync(join(dir, 'err'), 'utf8'), 'oops\n');
    const done = exited(child);
    process.kill(pid, 'SIGTERM');
    assert.deepEqual(await done, { code: null, signal: 'SIGTERM' });
  });

  withLibc.it('reports exit codes, and gives the child default signal handling (Node ignores SIGPIPE)', async () => {
    const a = await launch({ file: '/bin/sh', args: ['-c', 'exit 7'] });
    assert.deepEqual(await exited(a.child), { code: 7, signal: null });
    // With SIGPIPE still ignored the shell would survive its own SIGPIPE and exit 3.
    const b = await launch({ file: '/bin/sh', args: ['-c', 'kill -PIPE $$; exit 3'] });
    assert.deepEqual(await exited(b.child), { code: null, signal: 'SIGPIPE' });
  });

  withLibc.it('refuses a missing program or folder with the errno, like Node does', async () => {
    await assert.rejects(launch({ file: 'tend-no-such-program', args: [] }), /spawn tend-no-such-program ENOENT/);
    await assert.rejects(launch({ file: '/bin/true', args: [], cwd: '/nonexistent-tend-dir' }), /spawn \/bin\/true ENOENT/);
    const dir = tempDir();
    writeFileSync(join(dir, 'not-exec'), 'echo hi\n');
    await assert.rejects(launch({ file: join(dir, 'not-exec'), args: [] }), /EACCES/);
  });

  withLibc.it('runs a script without a #! line with /bin/sh, as execvp does', async () => {
    const dir = tempDir();
    const script = join(dir, 'plain');
    writeFileSync(script, 'echo "plain $1"\n');
    chmodSync(script, 0o755);
    const { child, dir: out } = await launch({ file: script, args: ['ran'] });
    assert.deepEqual(await exited(child), { code: 0, signal: null });
    assert.equal(readFileSync(join(out, 'out'), 'utf8'), 'plain ran\n');
  });

  withLibc.it("gives a Node child an IPC channel on fd 3 and passes its messages on (not Node's own)", async () => {
    const { child } = await launch({
      file: process.execPath,
      args: [
        '-e',
        "process.send({ type: 'ready' }); process.send('second'); process.channel.unref(); setTimeout(() => process.exit(0), 200);",
      ],
      ipc: true,
    });
    const messages: unknown[] = [];
    child.onMessage((m) => messages.push(m));
    assert.deepEqual(await exited(child), { code: 0, signal: null });
    assert.deepEqual(messages, [{ type: 'ready' }, 'second']);
  });

  withLibc.it('reaps every child: 60 launched at once all report their exit and leave no zombie', async () => {
    const launched = await Promise.all(Array.from({ length: 60 }, (_, i) => launch({ file: '/bin/sh', args: ['-c', `exit ${i % 5}`] })));
    const codes = await Promise.all(launched.map(({ child }) => exited(child)));
    assert.deepEqual(
      codes.map((c) => c.code),
      Array.from({ length: 60 }, (_, i) => i % 5),
    );
    for (const { child } of launched) {
      let state = 'gone';
      try {
        state = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? 'gone';
      } catch {
        /* reaped */
      }
      assert.equal(state, 'gone', `pid ${child.pid} left as ${state}`);
    }
  });
});

describe("Node's spawner (TEND_SPAWNER=node, or where koffi cannot load)", () => {
  it('keeps the same contract: session, exit code, IPC', async () => {
    process.env.TEND_SPAWNER = 'node';
    try {
      assert.equal(spawnerKind().kind, 'child_process');
      const { child } = await launch({
        file: process.execPath,
        args: ['-e', "process.send('hi'); process.channel.unref(); setTimeout(() => process.exit(4), 100);"],
        ipc: true,
      });
      assert.equal(sessionOf(child.pid as number), child.pid);
      const messages: unknown[] = [];
      child.onMessage((m) => messages.push(m));
      assert.deepEqual(await exited(child), { code: 4, signal: null });
      assert.deepEqual(messages, ['hi']);
    } finally {
      delete process.env.TEND_SPAWNER;
    }
  });
});

describe('wait statuses', () => {
  it('decodes an exit code and a signal', () => {
    assert.deepEqual(decodeStatus(3 << 8), { code: 3, signal: null });
    assert.deepEqual(decodeStatus(9), { code: null, signal: 'SIGKILL' });
    assert.deepEqual(decodeStatus(15 | 0x80), { code: null, signal: 'SIGTERM' });
  });
});
