import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, TendHome, fixture, freePort, httpGet, waitFor } from '../helpers/tend.js';

function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: opts.timeout ?? 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        resolve({
          code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

/**
 * The package as a user installs it: `npm pack`, then `npm install -g` of the tarball into an
 * empty prefix (dependencies from npm's cache, which `npm ci` filled), then the installed `tend`
 * runs apps: fork, cluster (-i 2) and a PTY app, and `tend kill` ends them.
 */
describe('the packed package installs and runs', () => {
  let work: string;
  let prefix: string;
  let t: TendHome;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'tend-pack-'));
    prefix = join(work, 'prefix');
    t = new TendHome();
  });
  after(async () => {
    const bin = join(prefix, 'bin', 'tend');
    if (existsSync(bin)) await sh(bin, ['kill'], { env: t.env });
    await t.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('npm pack → npm install -g → start, list, -i 2, --pty, kill', { timeout: 300_000 }, async () => {
    // --ignore-scripts: dist/ is already built by `npm test`; rebuilding would rewrite it under the other tests.
    const packed = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json']);
    assert.equal(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; files: { path: string }[] }[];
    assert.ok(info !== undefined);
    assert.equal(info.filename.startsWith('tend-pm-'), true, info.filename);
    const paths = info.files.map((f) => f.path);
    for (const p of [
      'bin/tend',
      'dist/cli.cjs',
      'dist/daemon.cjs',
      'dist/holder.cjs',
      'dist/pty-holder.cjs',
      'dist/web/index.html',
      'dist/man/tend.1',
      'dist/man/tend-start.1',
    ])
      assert.ok(paths.includes(p), `the package lacks ${p}`);
    assert.ok(
      !paths.some((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('dist/test/')),
      'sources or tests in the package',
    );
    const tarball = join(work, info.filename);
    const install = await sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: work,
    });
    assert.equal(install.code, 0, install.stderr);
    const tend = join(prefix, 'bin', 'tend');
    assert.ok(statSync(tend).isFile());
    assert.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'tend-start.1')), 'man pages are installed');
    const env = { ...t.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    const cwd = mkdtempSync(join(work, 'app-'));
    const port = await freePort();
    const run = (args: string[]) => sh(tend, args, { env, cwd, timeout: 60_000 });

    const fork = await run(['start', fixture('http-server.js'), '--name', 'web', '--env', `PORT=${port}`, '--json']);
    assert.equal(fork.code, 0, fork.stderr);
    for (const p of JSON.parse(fork.stdout) as { pid: number }[]) t.remember(p);
    await waitFor(() => httpGet(port), "the installed tend's app to answer", 20_000);
    const clusterPort = await freePort();
    const cluster = await run(['start', fixture('http-server.js'), '--name', 'api', '-i', '2', '--env', `PORT=${clusterPort}`, '--json']);
    assert.equal(cluster.code, 0, cluster.stderr);
    await waitFor(() => httpGet(clusterPort), 'the cluster app to answer', 20_000);
    writeFileSync(join(cwd, 'repl.sh'), 'while read -r line; do echo "got $line"; done\n');
    const pty = await run(['start', '--pty', '--name', 'console', '--', 'sh', join(cwd, 'repl.sh')]);
    assert.equal(pty.code, 0, pty.stderr);
    const listed = await waitFor(
      async () => {
        const r = await run(['list', '--json']);
        const apps = JSON.parse(r.stdout) as { name: string; status: string; pid: number | null }[];
        for (const a of apps) t.remember(a);
        return apps.filter((a) => a.status === 'online').length >= 4 ? apps : null;
      },
      'web, two api instances and console online',
      30_000,
    );
    assert.deepEqual([...new Set(listed.map((a) => a.name))].sort(), ['api', 'console', 'web']);
    const killed = await run(['kill']);
    assert.equal(killed.code, 0, killed.stderr);
    assert.equal(await httpGet(port), undefined);
    assert.deepEqual(
      readdirSync(t.home).filter((f) => f.endsWith('.sock')),
      [],
    );
  });
});
