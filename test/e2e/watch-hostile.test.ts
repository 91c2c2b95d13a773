import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Detail extends ProcessJson {
  watch?: { mode: string; watched: number; restarts: number; lastChange: { path: string } | null };
}

describe('watch mode: deleted folders, link loops and the restart floor', () => {
  let t: TendHome;
  let base: string;
  const detail = async (name: string): Promise<Detail> => (await t.json<Detail[]>(['describe', name]))[0] as Detail;
  /** Writes a file until the watcher reports it (a change made while the app restarts is not lost, but a first write may race the new watch). */
  const touchUntilSeen = async (name: string, file: string, shown: string): Promise<void> => {
    let n = 0;
    await waitFor(
      async () => {
        writeFileSync(file, `// ${n++}\n`);
        return (await detail(name)).watch?.lastChange?.path === shown;
      },
      `${shown} to restart ${name}`,
      15_000,
      500,
    );
  };

  before(() => {
    t = new TendHome();
    base = mkdtempSync(join(tmpdir(), 'tend-watch-hostile-'));
  });
  after(async () => {
    await t.cleanup();
    rmSync(base, { recursive: true, force: true });
  });

  it('a watched folder deleted and created again is watched again (and one whose parent went too)', async () => {
    const cwd = join(base, 'recreate');
    mkdirSync(join(cwd, 'src'), { recursive: true });
    mkdirSync(join(cwd, 'deep', 'a', 'b'), { recursive: true });
    const r = await t.run([
      'start',
      fixture('forever.js'),
      '--name',
      'rec',
      '--cwd',
      cwd,
      '--watch=src',
      '--watch=deep/a/b',
      '--watch-delay',
      '100ms',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    t.remember(JSON.parse(r.stdout));
    await waitFor(async () => ((await detail('rec')).watch?.watched ?? 0) >= 2, 'the watcher to be ready');
    await touchUntilSeen('rec', join(cwd, 'src', 'one.js'), 'src/one.js');
    rmSync(join(cwd, 'src'), { recursive: true });
    rmSync(join(cwd, 'deep', 'a'), { recursive: true });
    mkdirSync(join(cwd, 'src'));
    mkdirSync(join(cwd, 'deep', 'a', 'b'), { recursive: true });
    await touchUntilSeen('rec', join(cwd, 'src', 'two.js'), 'src/two.js');
    await touchUntilSeen('rec', join(cwd, 'deep', 'a', 'b', 'three.js'), 'deep/a/b/three.js');
    assert.equal((await detail('rec')).watch?.mode, 'inotify');
    await t.run(['delete', 'rec']);
  });

  for (const polling of [true, false]) {
    it(`${polling ? 'polling' : 'inotify'}: a link loop and a link to /usr are not followed; the first scan ends`, async () => {
      const cwd = join(base, polling ? 'poll' : 'notify');
      mkdirSync(join(cwd, 'src'), { recursive: true });
      writeFileSync(join(cwd, 'src', 'app.js'), '// 1\n');
      symlinkSync('.', join(cwd, 'src', 'again'));
      symlinkSync('..', join(cwd, 'src', 'up'));
      symlinkSync('/usr', join(cwd, 'vendor'));
      mkdirSync(join(base, 'shared-lib'), { recursive: true });
      symlinkSync(join(base, 'shared-lib'), join(cwd, 'shared'));
      const name = polling ? 'poll' : 'notify';
      const config = join(cwd, 'ecosystem.config.cjs');
      const app = {
        name,
        script: fixture('forever.js'),
        cwd,
        watch: true,
        watch_delay: 100,
        ...(polling ? { watch_options: { usePolling: true, interval: 300 } } : {}),
      };
      writeFileSync(config, `module.exports = { apps: [${JSON.stringify(app)}] };\n`);
      const r = await t.run(['start', config, '--json']);
      assert.equal(r.code, 0, r.stderr);
      t.remember(JSON.parse(r.stdout));
      const d = await waitFor(
        async () => {
          const x = await detail(name);
          return (x.watch?.watched ?? 0) > 0 ? x : undefined;
        },
        'the first scan to end',
        15_000,
      );
      assert.equal(d.watch?.mode, polling ? 'polling' : 'inotify');
      // A handful of files (polling) or folders (inotify): never /usr's, never a loop's.
      assert.ok((d.watch?.watched ?? 0) < 20, `watched ${d.watch?.watched}`);
      await touchUntilSeen(name, join(cwd, 'src', 'app.js'), 'src/app.js');
      // A link to a folder elsewhere (a shared library) is still followed.
      await touchUntilSeen(name, join(base, 'shared-lib', 'lib.js'), 'shared/lib.js');
      const ping = await t.run(['ping']);
      assert.equal(ping.code, 0);
      await t.run(['delete', name]);
    });
  }

  it('--watch-delay 0 with an app that writes into its own folder: the restart floor holds', async () => {
    const cwd = join(base, 'loop');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, 'app.js'),
      "require('fs').writeFileSync(require('path').join(__dirname, 'stamp.txt'), String(Date.now()));\nsetInterval(() => {}, 1e6);\n",
    );
    const r = await t.run(['start', join(cwd, 'app.js'), '--name', 'loop', '--cwd', cwd, '--watch', cwd, '--watch-delay', '0', '--json']);
    assert.equal(r.code, 0, r.stderr);
    t.remember(JSON.parse(r.stdout));
    await waitFor(async () => ((await detail('loop')).watch?.restarts ?? 0) >= 3, 'the app to restart itself through its own file');
    const from = (await detail('loop')).watch?.restarts ?? 0;
    // Measured over a fixed window: a rate, not a condition, is what is checked here.
    const WINDOW_MS = 5000;
    await new Promise((res) => setTimeout(res, WINDOW_MS));
    const during = ((await detail('loop')).watch?.restarts ?? 0) - from;
    // The floor allows about one restart a second once the restarts are quick; without it, hundreds.
    assert.ok(during >= 1 && during <= 10, `${during} watch restarts in ${WINDOW_MS} ms`);
    await t.run(['stop', 'loop']);
  });
});
