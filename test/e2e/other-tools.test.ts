import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';

/** forever's, nodemon's and PM2's habits: aliases where they cannot be mistaken, the tend flag otherwise. */
describe('habits of other tools', () => {
  let t: TendHome;
  let dir: string;
  before(() => {
    t = new TendHome();
    dir = mkdtempSync(join(tmpdir(), 'tend-habits-'));
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses flags whose value means something else here, naming the tend flag', async () => {
    const cases: [string[], RegExp][] = [
      [['start', '-m', '5', fixture('forever.js')], /forever's `-m MAX`.*--max-restarts/],
      [['start', fixture('forever.js'), '--delay', '2'], /nodemon's `--delay` counts seconds.*--watch-delay 2\.5s/],
      [['start', '--exec', 'python3', 'app.py'], /nodemon's `--exec`.*--interpreter/],
      [['run', fixture('forever.js'), '-e', 'js,json'], /`-e js,json` looks like nodemon's list of extensions.*--watch-ext js,json/],
      [['start', fixture('forever.js'), '-e', 'js'], /looks like nodemon's list of extensions/],
    ];
    for (const [args, message] of cases) {
      const r = await t.run(args, { cwd: dir });
      assert.equal(r.code, 2, `tend ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    }
    assert.equal(existsSync(join(t.home, 'daemon.pid')), false, 'no daemon was started for a refused command');
  });

  it('accepts -w, --ignore, --ext, a command with spaces, stopall and ecosystem', async () => {
    const [w] = await t.json<(ProcessJson & { watching?: boolean })[]>([
      'start',
      '-w',
      fixture('forever.js'),
      '--name',
      'watched',
      '--ignore',
      'tmp',
      '--ext',
      'js,json',
      '--cwd',
      dir,
    ]);
    assert.equal(w?.watching, true);
    const [d] = await t.json<{ spec: { watch: { ignore: string[]; extensions: string[] } } }[]>(['describe', 'watched']);
    assert.ok(d?.spec.watch.ignore.includes('tmp'));
    assert.deepEqual(d?.spec.watch.extensions, ['js', 'json']);
    // PM2 runs a script with spaces through a shell.
    const [s] = await t.json<ProcessJson[]>(['start', 'sleep 1000', '--name', 'spaced']);
    assert.equal(s?.status, 'online');
    const r = await t.run(['stopall']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await t.list()).every((p) => p.status === 'stopped'), 'stopall to stop every app');
    const init = await t.run(['ecosystem'], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    assert.ok(existsSync(join(dir, 'ecosystem.config.cjs')) || existsSync(join(dir, 'ecosystem.config.js')));
  });

  it('tend run stops a script with the same signal as tend start (SIGINT)', async () => {
    writeFileSync(
      join(dir, 'sig.js'),
      "process.on('SIGINT', () => { console.log('got SIGINT'); process.exit(0); }); setInterval(() => {}, 1000); console.log('up');\n",
    );
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/tend.js');
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'sig.js'), '--no-color'], {
      env: t.env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) t.track(child.pid);
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await waitFor(() => out.includes('up'), 'the script to run');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.match(out, /got SIGINT/);
    assert.equal(code, 0);
  });
});
