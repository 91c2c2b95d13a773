import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, fixture, isAlive, waitFor } from '../helpers/tend.js';
import { commandMissing, needs } from '../helpers/needs.js';

interface Running {
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

const started: ChildProcess[] = [];

function tendRun(args: string[], opts: { cwd?: string; wrap?: string[] } = {}): Running {
  let out = '';
  const argv = [...(opts.wrap ?? []), process.execPath, BIN, 'run', ...args];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

function zombiesOf(pid: number): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const rest = readFileSync(`/proc/${name}/stat`, 'latin1').split(') ').pop()?.split(' ') ?? [];
      if (rest[0] === 'Z' && Number(rest[1]) === pid) n += 1;
    } catch {
      /* gone */
    }
  }
  return n;
}

describe('tend run (foreground, no daemon)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tend-run-test-'));
    writeFileSync(
      join(dir, 'ecosystem.config.js'),
      `module.exports = { apps: [
      { name: 'one', script: ${JSON.stringify(fixture('forever.js'))} },
      { name: 'second-app', script: ${JSON.stringify(fixture('forever.js'))} },
    ] };\n`,
    );
  });
  after(() => {
    for (const c of started) if (c.pid !== undefined && isAlive(c.pid)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it("prefixes each app's lines, restarts all on `rs`, stops gracefully on SIGTERM and exits 0", async () => {
    const r = tendRun(['ecosystem.config.js'], { cwd: dir });
    await waitFor(() => /^one +\| started \d+$/m.test(r.output()) && /^second-app \| started \d+$/m.test(r.output()), 'both apps started');
    r.child.stdin?.write('rs\n');
    await waitFor(
      () =>
        (r.output().match(/^one +\| started/gm) ?? []).length === 2 && (r.output().match(/^second-app \| started/gm) ?? []).length === 2,
      'both restarted',
    );
    assert.match(r.output(), /^tend +\| restarting every app$/m);
    r.child.kill('SIGTERM');
    assert.equal(await r.exit, 0);
    assert.match(r.output(), /SIGTERM: stopping 2 apps/);
    assert.match(r.output(), /all apps stopped \(exit 0\)/);
  });

  it('exits 1 by itself once an app reaches errored; --log-format json gives JSON lines', async () => {
    const r = tendRun([fixture('crash-after.js'), '--name', 'crashy', '--max-restarts', '1', '--min-uptime', '5s', '--log-format', 'json']);
    assert.equal(await r.exit, 1);
    const lines = r
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { app: string; message: string });
    assert.ok(lines.some((l) => l.app === 'tend' && /crashy errored/.test(l.message)));
    // The crash is told once, before the verdict (from the app's typed exit record, no log event name).
    const told = lines.filter((l) => l.app === 'tend').map((l) => l.message);
    assert.deepEqual(
      told.filter((m) => /^crashy exited/.test(m)),
      ['crashy exited (code 1)'],
    );
    assert.ok(told.findIndex((m) => /^crashy exited/.test(m)) < told.findIndex((m) => /crashy errored/.test(m)));
  });

  it('a forwarded signal while no app has a process (waiting to restart) is dropped, not fatal', async () => {
    const r = tendRun([fixture('crash-after.js'), '--name', 'waits', '--restart-delay', '60s']);
    await waitFor(() => /waits exited \(code 1\)/.test(r.output()), 'the app to exit and wait 60 s to restart');
    r.child.kill('SIGUSR2');
    r.child.kill('SIGTERM');
    assert.equal(await r.exit, 0, r.output());
    assert.doesNotMatch(r.output(), /E_NOT_RUNNING|has no running process/);
  });

  it('reaps the orphans its apps leave (a subreaper outside a container)', async () => {
    const r = tendRun([join(ROOT, 'test', 'fixtures', 'container', 'orphaner.js')]);
    await waitFor(() => r.output().includes('orphan 8'), 'eight orphans made', 30_000);
    const pid = r.child.pid as number;
    // Each orphan lives 300 ms; all are gone a moment later, and none stays a zombie of tend run.
    // Orphans are re-parented to tend run (a subreaper): only the app itself stays its child.
    const children = (): number => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && statOf(p).ppid === pid).length;
    await waitFor(() => zombiesOf(pid) === 0 && children() === 1, 'no orphan left', 45_000, 100);
    assert.equal(zombiesOf(pid), 0);
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0);
  });

  const userns = needs(commandMissing('unshare', ['-Ur', 'true'], 'or user namespaces are not allowed here'));
  userns.it('--watch: out of inotify watches, says so in one line and falls back to polling', async () => {
    const tree = join(dir, 'tree');
    for (let i = 0; i < 6; i++) mkdirSync(join(tree, `d${i}`), { recursive: true });
    writeFileSync(join(tree, 'd5', 'x.js'), '1');
    // A user namespace of our own where the kernel allows only 3 inotify watches.
    const r = tendRun([fixture('forever.js'), '--name', 'w', '--watch', tree, '--watch-delay', '100'], {
      wrap: ['unshare', '-Ur', 'sh', '-c', 'echo 3 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"'],
    });
    await waitFor(() => /fs\.inotify\.max_user_watches/.test(r.output()), 'the inotify message');
    const notice = r
      .output()
      .split('\n')
      .filter((l) => /max_user_watches/.test(l));
    assert.equal(notice.length, 1);
    assert.match(notice[0] ?? '', /polling/);
    await waitFor(() => /^w +\| started/m.test(r.output()), 'app started');
    writeFileSync(join(tree, 'd5', 'x.js'), '2');
    await waitFor(
      () => /w: d5\/x\.js changed, restarting|w: .*x\.js changed, restarting/.test(r.output()),
      'a restart seen by polling',
      15_000,
    );
    r.child.kill('SIGTERM');
    assert.equal(await r.exit, 0);
  });
});

function statOf(pid: string): { ppid: number; comm: string } {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    return { comm, ppid: Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) };
  } catch {
    return { comm: '', ppid: -1 };
  }
}
