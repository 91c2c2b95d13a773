import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, ROOT, TendHome, fixture, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';

/** A process's environment as it started (what Node read at its start-up). */
function environOf(pid: number): Map<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

/** Runs bin/tend as a user does (its shebang), not through `node bin/tend`. */
function tendDirect(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env, cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code) || 1, stdout, stderr });
    });
  });
}

describe('NODE_EXTRA_CA_CERTS', () => {
  const t = new TendHome();
  after(() => t.cleanup());

  it('reaches the apps as the user set it, while the CLI and the daemon start without parsing it', async () => {
    const bundle = join(t.home, 'extra-ca.pem');
    // Not a certificate: Node would warn about it at the start of any process that reads it.
    writeFileSync(bundle, 'not a certificate\n');
    const env = { ...t.env, NODE_EXTRA_CA_CERTS: bundle };
    const started = await tendDirect(['start', '/bin/sleep', '--name', 'ca', '--json', '--', '1000000'], env);
    assert.equal(started.code, 0, started.stderr);
    assert.doesNotMatch(started.stderr, /extra|certificate/i, 'the CLI did not read the bundle');
    t.remember(JSON.parse(started.stdout));
    const app = await waitFor(async () => (await t.app('ca')).pid ?? undefined, 'the app to run');
    const appEnv = environOf(app);
    assert.equal(appEnv.get('NODE_EXTRA_CA_CERTS'), bundle, "the app's environment has it as the user set it");
    assert.equal(appEnv.has('TEND_NODE_EXTRA_CA_CERTS'), false);
    const daemon = t.daemonPid();
    assert.ok(daemon !== null);
    const daemonEnv = environOf(daemon);
    assert.equal(daemonEnv.has('NODE_EXTRA_CA_CERTS'), false, 'the daemon started without it (no bundle parsed)');
    assert.equal(daemonEnv.get('TEND_NODE_EXTRA_CA_CERTS'), bundle, 'it is carried for what the daemon spawns');
    assert.doesNotMatch(readFileSync(join(t.home, 'daemon.log'), 'utf8'), /extra ca certs|certificate/i);
  });

  it("a cluster app's holder starts without it too, and its workers have it", async () => {
    const bundle = join(t.home, 'extra-ca.pem');
    const env = { ...t.env, NODE_EXTRA_CA_CERTS: bundle };
    const port = await freePort();
    const started = await tendDirect(
      ['start', fixture('cluster-server.js'), '--name', 'web', '-i', '2', '--env', `PORT=${port}`, '--json'],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    t.remember(JSON.parse(started.stdout));
    type Row = ProcessJson & { holderPid?: number | null };
    const rows = await waitFor(async () => {
      const web = ((await t.list()) as Row[]).filter((r) => r.name === 'web' && r.status === 'online');
      return web.length === 2 && web.every((r) => typeof r.holderPid === 'number') ? web : undefined;
    }, 'both workers online');
    const holder = rows[0]?.holderPid as number;
    t.track(holder);
    const holderEnv = environOf(holder);
    assert.equal(holderEnv.has('NODE_EXTRA_CA_CERTS'), false, 'the holder started without it');
    assert.equal(holderEnv.get('TEND_NODE_EXTRA_CA_CERTS'), bundle);
    for (const r of rows) {
      const workerEnv = environOf(r.pid as number);
      assert.equal(workerEnv.get('NODE_EXTRA_CA_CERTS'), bundle, 'a worker has it as the user set it');
      assert.equal(workerEnv.has('TEND_NODE_EXTRA_CA_CERTS'), false);
    }
  });

  it('stays unset for the apps when it was not set', async () => {
    const { NODE_EXTRA_CA_CERTS: _unset, ...env } = t.env;
    const started = await tendDirect(['start', '/bin/sleep', '--name', 'noca', '--json', '--', '1000000'], env);
    assert.equal(started.code, 0, started.stderr);
    t.remember(JSON.parse(started.stdout));
    const app = await waitFor(async () => (await t.app('noca')).pid ?? undefined, 'the app to run');
    const appEnv = environOf(app);
    assert.equal(appEnv.has('NODE_EXTRA_CA_CERTS'), false);
    assert.equal(appEnv.has('TEND_NODE_EXTRA_CA_CERTS'), false);
  });
});
