import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, httpGet, waitFor } from '../helpers/tend.js';

type Acted = { name: string; action: string; pid: number | null; reloadNote?: string };

// A Procfile deploy: the formation and the base port given to `start` are given again to every
// verb of the file, or the apps would move to foreman's defaults (one of each, PORT 5000).
describe('Procfile: every verb of the file takes --formation and --port', () => {
  let t: TendHome;
  let dir: string;
  let base: number;
  before(async () => {
    t = new TendHome();
    dir = mkdtempSync(join(tmpdir(), 'tend-procfile-'));
    writeFileSync(join(dir, 'Procfile'), `web: node ${fixture('http-server.js')}\n`);
    // Two free ports in a row: the base and the next.
    base = await waitFor(async () => {
      const p = await freePort();
      return p < 65535 && (await freePort()) !== p + 1 && (await httpGet(p + 1)) === undefined ? p : undefined;
    }, 'two free ports');
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reload Procfile --formation web=2 --port N replaces both processes on their ports', async () => {
    const flags = ['--formation', 'web=2', '--port', String(base)];
    const started = await t.run(['start', 'Procfile', ...flags, '--json'], { cwd: dir });
    assert.equal(started.code, 0, started.stderr);
    t.remember(JSON.parse(started.stdout));
    const serving = async (): Promise<string[] | undefined> => {
      const answers = [await httpGet(base), await httpGet(base + 1)];
      return answers.every((a) => a !== undefined) ? (answers as string[]) : undefined;
    };
    const old = await waitFor(serving, 'web.1 and web.2 serving');
    const r = await t.run(['reload', 'Procfile', ...flags, '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const acted = JSON.parse(r.stdout) as Acted[];
    t.remember(acted);
    // A Procfile's command runs through the shell: not a Node app that hands its socket over; said.
    assert.deepEqual(
      acted.map((a) => `${a.name}: ${a.action}: ${a.reloadNote}`),
      [1, 2].map(
        (i) => `web.${i}: restarted: restarted instead of reloaded without downtime: not a cluster, --listen or fork-mode Node.js app`,
      ),
    );
    // Still on their own ports, served by the new processes.
    await waitFor(async () => (await serving())?.every((a, i) => a !== old[i]), 'both ports served by new processes');
  });
});
