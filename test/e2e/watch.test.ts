import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, httpGet, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Detail extends ProcessJson {
  watching?: boolean;
  watch?: { mode: string; watched: number; restarts: number; lastChange: { path: string } | null };
}

describe('watch mode (daemon)', () => {
  let t: TendHome;
  let dir: string;
  let port: number;
  const detail = async (name: string): Promise<Detail> => (await t.json<Detail[]>(['describe', name]))[0] as Detail;
  const settled = async (name: string, restarts: number): Promise<Detail> =>
    waitFor(async () => {
      const d = await detail(name);
      return d.status === 'online' && d.restarts === restarts && d.watch?.restarts === restarts ? d : undefined;
    }, `${name} online after ${restarts} restart(s)`);

  before(async () => {
    t = new TendHome();
    dir = mkdtempSync(join(tmpdir(), 'tend-watch-'));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'version.txt'), 'v1');
    for (let i = 0; i < 1000; i++) writeFileSync(join(dir, 'src', `f${i}.js`), `// ${i}\n`);
    port = await freePort();
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts once per change, the old process gone before the new one serves', async () => {
    const r = await t.run([
      'start',
      fixture('slow-stop-server.js'),
      '--name',
      'web',
      '--cwd',
      dir,
      '--watch',
      dir,
      '--watch-delay',
      '200ms',
      '--env',
      `PORT=${port}`,
      '--out-file',
      join(dir, 'web-out.log'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [started] = JSON.parse(r.stdout) as Detail[];
    t.remember(started);
    assert.equal(started?.watching, true);
    await waitFor(async () => (await httpGet(port))?.startsWith('v1'), 'v1 served');
    await waitFor(async () => ((await detail('web')).watch?.watched ?? 0) >= 2, 'the watcher to be ready');
    // Its own log file inside the watched folder is written at every start: no restart loop.
    writeFileSync(join(dir, 'version.txt'), 'v2');
    await waitFor(async () => (await httpGet(port))?.startsWith('v2'), 'v2 served after the change');
    const d = await settled('web', 1);
    assert.notEqual(d.pid, started?.pid);
    assert.equal(d.watch?.lastChange?.path, 'version.txt');
    assert.equal(d.watch?.mode, 'inotify');
    // No EADDRINUSE: the new copy started after the old one had let go of the port.
    assert.doesNotMatch(readFileSync((d as Detail & { logs: { err: string } }).logs.err, 'utf8'), /EADDRINUSE/);
    const log = readFileSync(join(t.home, 'daemon.log'), 'utf8');
    assert.match(log, /"event":"watch-restart","id":\d+,"name":"web","path":"version.txt"/);
  });

  it('a 1,000-file checkout gives exactly one restart; node_modules and .git never restart', async () => {
    const before = await settled('web', 1);
    for (let i = 0; i < 1000; i++) writeFileSync(join(dir, 'src', `f${i}.js`), `// changed ${i}\n`);
    const d = await settled('web', 2);
    assert.notEqual(d.pid, before.pid);
    // Quiet period passes again with no further restart, and ignored folders do nothing.
    writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), 'x');
    mkdirSync(join(dir, '.git'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
    // An editor's save: write a temp file, rename it over the original: one restart.
    writeFileSync(join(dir, 'src', '.f1.js.swp'), 'tmp');
    renameSync(join(dir, 'src', '.f1.js.swp'), join(dir, 'src', 'f1.js'));
    const after = await settled('web', 3);
    assert.match(after.watch?.lastChange?.path ?? '', /^src\/(\.f1\.js\.swp|f1\.js)$/);
  });

  it('watches folders created after the start, and stops watching when the app stops', async () => {
    mkdirSync(join(dir, 'src', 'new', 'deeper'), { recursive: true });
    await waitFor(
      async () => (await detail('web')).restarts === 4 && (await detail('web')).status === 'online',
      'restart for the new folder',
    );
    await waitFor(async () => ((await detail('web')).watch?.watched ?? 0) >= 4, 'the new folders watched');
    writeFileSync(join(dir, 'src', 'new', 'deeper', 'x.js'), 'x');
    await settled('web', 5);
    const stop = await t.run(['stop', 'web']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await detail('web')).watch, undefined);
    writeFileSync(join(dir, 'version.txt'), 'v3');
    // Still stopped, no restart: checked after a state change we wait for (a manual start).
    const start = await t.run(['start', 'web']);
    assert.equal(start.code, 0, start.stderr);
    const d = await waitFor(async () => {
      const x = await detail('web');
      return x.status === 'online' ? x : undefined;
    }, 'online again');
    assert.equal(d.restarts, 5);
  });

  it('--watch-ext limits what restarts; bad watch values are one-line errors', async () => {
    const r = await t.run([
      'start',
      fixture('forever.js'),
      '--name',
      'ext',
      '--cwd',
      dir,
      '--watch',
      'src',
      '--watch-ext',
      'json',
      '--watch-delay',
      '100',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    t.remember(JSON.parse(r.stdout));
    await waitFor(async () => ((await detail('ext')).watch?.watched ?? 0) >= 1, 'ext watcher ready');
    writeFileSync(join(dir, 'src', 'f2.js'), 'no restart for .js');
    writeFileSync(join(dir, 'src', 'conf.json'), '{}');
    const d = await waitFor(async () => {
      const x = await detail('ext');
      return x.restarts === 1 && x.status === 'online' ? x : undefined;
    }, 'restart for .json');
    assert.equal(d.watch?.lastChange?.path, 'src/conf.json');
    const bad = await t.run(['start', fixture('forever.js'), '--name', 'bad', '--watch', '--watch-delay', 'soon']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /watch_delay/);
  });
});

describe('watch mode meeting a config file that moves the log files', () => {
  let t: TendHome;
  let dir: string;
  before(() => {
    t = new TendHome();
    dir = mkdtempSync(join(tmpdir(), 'tend-watch-logs-'));
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'version.txt'), 'v1');
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reload of the file that puts out_file in the watched folder never restarts the app for its own log', async () => {
    const config = join(dir, 'ecosystem.config.json');
    // A chatty app (a line every 20 ms, quicker than watch_delay): its log must never be a change.
    const app = (extra: object) => ({
      apps: [{ name: 'chatty', script: fixture('pid-lines.js'), cwd: join(dir, 'app'), watch: true, watch_delay: 200, ...extra }],
    });
    writeFileSync(config, JSON.stringify(app({})));
    assert.equal((await t.run(['start', config])).code, 0);
    const detail = async (): Promise<Detail> => (await t.json<Detail[]>(['describe', 'chatty']))[0] as Detail;
    await waitFor(async () => (await detail()).watch?.mode === 'inotify', 'the watcher');
    writeFileSync(config, JSON.stringify(app({ out_file: './chatty-out.log' })));
    const r = await t.run(['reload', config]);
    assert.equal(r.code, 0, r.stderr);
    const reloaded = await detail();
    await waitFor(() => readFileSync(join(dir, 'app', 'chatty-out.log'), 'utf8').split('\n').length > 20, 'its log written in the folder');
    // A real change is still seen (a watcher fed by its own log never goes quiet, so never fires).
    writeFileSync(join(dir, 'app', 'version.txt'), 'v2');
    const d = await waitFor(async () => {
      const x = await detail();
      return x.watch?.lastChange !== null && x.status === 'online' ? x : undefined;
    }, 'a restart for version.txt');
    assert.equal(d.watch?.lastChange?.path, 'version.txt');
    assert.equal(d.watch?.restarts, 1);
    assert.equal(d.restarts, reloaded.restarts + 1);
  });
});
