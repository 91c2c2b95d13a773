import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getFresh, startLoad } from '../helpers/load-loop.js';
import { ROOT, TendHome, fixture, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  holderPid?: number | null;
  reloadNote?: string;
}

/**
 * Real apps from npm (Express, Fastify, Next.js), started the way people start them, reloaded
 * under real HTTP load on loopback (issue 18): three deploys in a row fail no request, and a
 * deploy that cannot start fails the reload (exit 1) while the old version keeps serving. A
 * single instance (`tend start app.js`) is reloaded by handing its sockets to the new process;
 * `-i 2` by the cluster holder's rolling reload.
 */
describe('reloads of real Node apps under load', () => {
  const t = new TendHome({ NEXT_TELEMETRY_DISABLED: '1' });
  const dir = mkdtempSync(join(tmpdir(), 'tend-realapps-'));
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = async (name: string): Promise<Row[]> => {
    const list = ((await t.list()) as Row[]).filter((r) => r.name === name);
    for (const r of list) t.remember(r);
    if (typeof list[0]?.holderPid === 'number') t.track(list[0].holderPid);
    return list;
  };

  /**
   * Three deploys (each `deploy(v)` then `tend reload`), then a broken one, under 8 keep-alive
   * connections sending requests back to back: no request fails, and the last good version is
   * the one that answers.
   */
  async function deploysUnderLoad(name: string, port: number, deploy: (version: string) => void, broken: string): Promise<void> {
    await waitFor(async () => (await getFresh(port))?.startsWith('v1'), `${name} to answer`, 30_000);
    const load = startLoad(port, 8, 120_000);
    try {
      await waitFor(() => load.snapshot().ok > 100, 'load to flow', 20_000);
      for (const v of ['v2', 'v3', 'v4']) {
        deploy(v);
        const r = await t.run(['reload', name], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, `reload to ${v}: ${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.stdout, /restarted instead/, 'a zero-downtime reload, not a restart');
        await rows(name);
        const mid = load.snapshot().ok;
        await waitFor(() => load.snapshot().ok > mid + 100, `load to flow after the reload to ${v}`, 20_000);
        assert.match((await getFresh(port)) ?? '', new RegExp(`^${v}\\b`));
      }
      deploy(broken);
      const bad = await t.run(['reload', name], { timeoutMs: 60_000 });
      assert.equal(bad.code, 1, `a deploy that cannot start must fail the reload: ${bad.stdout}${bad.stderr}`);
      assert.match(bad.stderr, /keeps? serving/);
      await rows(name);
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 100, 'load to flow after the failed reload', 20_000);
    } finally {
      const res = await load.stop();
      assert.equal(res.failed, 0, `failed requests: ${JSON.stringify(res.errors)}`);
      const versions = new Set([...res.bodies.keys()].map((b) => b.split(/[ <]/)[0]));
      for (const v of ['v1', 'v2', 'v3', 'v4']) assert.ok(versions.has(v), `${v} answered under load (saw ${[...versions].join(', ')})`);
    }
    assert.match((await getFresh(port)) ?? '', /^v4\b/, 'the old version still serves after the failed deploy');
    const detail = (await t.json<Array<{ lastReload: { ok: boolean; reason: string | null } | null }>>(['describe', name, '--json']))[0];
    assert.equal(detail?.lastReload?.ok, false, 'describe shows the failed reload');
    await t.run(['delete', name]);
  }

  async function startFileApp(name: string, file: string, instances: number): Promise<{ port: number; deploy: (v: string) => void }> {
    const port = await freePort();
    const versionFile = join(dir, `${name}.version`);
    writeFileSync(versionFile, 'v1');
    const args = ['start', file, '--name', name, '--env', `PORT=${port}`, '--env', `VERSION_FILE=${versionFile}`];
    await t.json([...args, ...(instances > 1 ? ['-i', String(instances)] : [])]);
    await rows(name);
    return { port, deploy: (v) => writeFileSync(versionFile, v) };
  }

  for (const [kind, file] of [
    ['express', 'express-app.js'],
    ['fastify', 'fastify-app.js'],
  ] as const) {
    it(`${kind}, one instance (tend start app.js): 3 reloads under load fail no request; a broken deploy keeps the old one serving`, async () => {
      const { port, deploy } = await startFileApp(`${kind}-1`, fixture(file), 1);
      await deploysUnderLoad(`${kind}-1`, port, deploy, 'throw');
    });

    it(`${kind}, -i 2: 3 reloads under load fail no request; a broken deploy keeps the old ones serving`, async () => {
      const { port, deploy } = await startFileApp(`${kind}-2`, fixture(file), 2);
      await deploysUnderLoad(`${kind}-2`, port, deploy, 'throw');
    });
  }

  it('next build, then next start (one instance): 3 reloads under load fail no request; a broken config keeps the old one serving', async () => {
    // A temporary copy of a two-file app, built once, with the project's node_modules.
    const app = join(dir, 'next-app');
    cpSync(join(ROOT, 'test', 'fixtures', 'next-app'), app, { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    const next = join(app, 'node_modules', 'next', 'dist', 'bin', 'next');
    execFileSync(process.execPath, [next, 'build'], { cwd: app, env: t.env, stdio: 'ignore', timeout: 300_000 });
    const port = await freePort();
    await t.json(['start', next, '--name', 'next', '--cwd', app, '--env', 'APP_VERSION=v1', '--', 'start', '-p', String(port)]);
    await rows('next');
    // A deploy of a new version is its environment here (`tend reload --env` takes it on the way).
    let version = 'v1';
    const page = async (): Promise<string | undefined> => (await getFresh(port))?.match(/version (\w+)/)?.[1];
    await waitFor(async () => (await page()) === 'v1', 'next start to answer', 60_000);
    const load = startLoad(port, 8, 180_000);
    try {
      await waitFor(() => load.snapshot().ok > 50, 'load to flow', 20_000);
      for (const v of ['v2', 'v3', 'v4']) {
        version = v;
        const r = await t.run(['reload', 'next', '--env', `APP_VERSION=${version}`], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, `reload to ${v}: ${r.stdout}${r.stderr}`);
        await rows('next');
        assert.equal(await page(), v);
      }
      const bad = await t.run(['reload', 'next', '--env', 'APP_VERSION=broken'], { timeoutMs: 60_000 });
      assert.equal(bad.code, 1, `a broken next.config.js must fail the reload: ${bad.stdout}${bad.stderr}`);
      await rows('next');
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 50, 'load to flow after the failed reload', 20_000);
      assert.equal(await page(), 'v4', 'the old version still serves');
    } finally {
      const res = await load.stop();
      assert.equal(res.failed, 0, `failed requests: ${JSON.stringify(res.errors)}`);
    }
    await t.run(['delete', 'next']);
  });

  it('an app whose sockets cannot be handed over is restarted, and the reload says why', async () => {
    await t.json(['start', '--name', 'plain', '--', '/bin/sleep', '600']);
    await rows('plain');
    const r = await t.run(['reload', 'plain']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /plain: restarted instead of reloaded without downtime: not a cluster, --listen or fork-mode Node\.js app/);
    await rows('plain');
    await t.json(['start', fixture('forever.js'), '--name', 'quiet']);
    await rows('quiet');
    const json = await t.json<Row[]>(['reload', 'quiet', '--json']);
    assert.match(json[0]?.reloadNote ?? '', /listens on no TCP port/);
    await rows('quiet');
    await t.run(['delete', 'plain', 'quiet']);
  });
});
