import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { getFresh, startLoad } from '../helpers/load-loop.js';
import { commandMissing, needs } from '../helpers/needs.js';
import { ROOT, TendHome, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  holderPid?: number | null;
}

const req = needs(commandMissing('go', ['version'], 'scripts/test.sh installs golang-go'));

/**
 * A compiled server (Go's net/http, graceful Shutdown on SIGTERM) on a socket tend passes
 * (`--listen`, fd 3), reloaded under 16 keep-alive connections (issue 18 item 4): Go's Shutdown
 * closes idle keep-alive connections at once, which cut 16 requests per reload before the
 * holder kept them (connection-handoff.ts). A deploy that cannot start fails the reload and the
 * old process keeps serving.
 */
describe('--listen reloads of a Go server', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-go-'));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const remember = async (): Promise<void> => {
    const list = ((await t.list()) as Row[]).filter((r) => r.name === 'go');
    for (const r of list) t.remember(r);
    if (typeof list[0]?.holderPid === 'number') t.track(list[0].holderPid);
  };

  req.it('3 reloads under 16 keep-alive connections fail no request; a broken deploy keeps the old process serving', async () => {
    const bin = join(dir, 'server');
    execFileSync('go', ['build', '-o', bin, join(ROOT, 'test', 'fixtures', 'go-server', 'main.go')], {
      env: { ...process.env, GOCACHE: join(dir, 'gocache'), GO111MODULE: 'off', HOME: dir },
      stdio: 'ignore',
      timeout: 300_000,
    });
    const versionFile = join(dir, 'version');
    writeFileSync(versionFile, 'v1');
    const port = await freePort();
    await t.json(['start', '--name', 'go', '--listen', `127.0.0.1:${port}`, '--env', `VERSION_FILE=${versionFile}`, '--', bin]);
    await remember();
    await waitFor(async () => (await getFresh(port))?.startsWith('v1'), 'the Go server to answer');
    const load = startLoad(port, 16, 120_000);
    try {
      await waitFor(() => load.snapshot().ok > 200, 'load to flow');
      for (const v of ['v2', 'v3', 'v4']) {
        writeFileSync(versionFile, v);
        const r = await t.run(['reload', 'go']);
        assert.equal(r.code, 0, `reload to ${v}: ${r.stderr}`);
        await remember();
        const mid = load.snapshot().ok;
        await waitFor(() => load.snapshot().ok > mid + 200, `load to flow after the reload to ${v}`);
      }
      writeFileSync(versionFile, 'broken');
      const bad = await t.run(['reload', 'go']);
      assert.equal(bad.code, 1, `a deploy that cannot start must fail the reload: ${bad.stdout}${bad.stderr}`);
      await remember();
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 200, 'load to flow after the failed reload');
    } finally {
      const res = await load.stop();
      assert.equal(res.failed, 0, `failed requests: ${JSON.stringify(res.errors)}`);
    }
    assert.match((await getFresh(port)) ?? '', /^v4 /, 'the last good version still serves');
    await t.run(['delete', 'go']);
  });
});
