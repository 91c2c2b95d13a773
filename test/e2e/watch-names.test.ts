import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Detail extends ProcessJson {
  watch?: { restarts: number; watched: number; lastChange: { path: string } | null };
}

/** `sed -i` writes a temporary `sedXXXXXX` and renames it over the file: the user changed app.js. */
describe('watch names the file the user changed', () => {
  let t: TendHome;
  let dir: string;
  before(() => {
    t = new TendHome();
    dir = mkdtempSync(join(tmpdir(), 'tend-watch-names-'));
    writeFileSync(join(dir, 'app.js'), '// v1\n');
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sed -i app.js is reported as app.js, not sed's temporary file", async () => {
    const [started] = await t.json<Detail[]>([
      'start',
      fixture('forever.js'),
      '--name',
      'w',
      '--cwd',
      dir,
      '--watch',
      dir,
      '--watch-delay',
      '100ms',
    ]);
    assert.ok(started);
    const detail = async (): Promise<Detail> => (await t.json<Detail[]>(['describe', 'w']))[0] as Detail;
    await waitFor(async () => ((await detail()).watch?.watched ?? 0) >= 1, 'the watcher to be ready');
    execFileSync('sed', ['-i', 's/v1/v2/', join(dir, 'app.js')]);
    const d = await waitFor(async () => {
      const x = await detail();
      return x.watch?.restarts === 1 && x.status === 'online' ? x : undefined;
    }, 'one watch restart');
    assert.equal(d.watch?.lastChange?.path, 'app.js');
    assert.doesNotMatch(readFileSync(join(t.home, 'daemon.log'), 'utf8'), /sed[A-Za-z0-9]{6}/);
  });
});
