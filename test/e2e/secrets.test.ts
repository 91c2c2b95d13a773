import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';

// One secret rule for every view and exporter (issue 20.10): a name that looks secret, or a value
// holding a URL password. Each secret below must appear in no view and in no world-readable export.
const SECRETS = ['hunter2', 'tok-s3cret', 'argpw', 'hookpw', 'checkpw'];

function leaks(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

/** An export keeps the app's command line and health check as they are (they must mean the same): only variables move. */
function variableLeaks(text: string): string[] {
  return leaks(text).filter((s) => s !== 'argpw' && s !== 'checkpw');
}

describe('secrets: one rule in describe, list, env, the web API, /metrics, hooks and every exporter', () => {
  let t: TendHome;
  let dir: string;
  let hookOut: string;
  before(async () => {
    t = new TendHome({ TEND_SAMPLE_IDLE_MS: '200' });
    dir = mkdtempSync(join(t.home, 'cfg-'));
    hookOut = join(dir, 'hook-online.json');
    const config = join(dir, 'secrets.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        apps: [
          {
            name: 'vault',
            script: fixture('forever.js'),
            args: ['--db', 'postgres://u:argpw@h/db'],
            env: { REDIS_URL: 'redis://:hunter2@db:6379/0', API_TOKEN: 'tok-s3cret', NODE_ENV: 'production', PORT: '3000' },
            health: { exec: 'true redis://:checkpw@x', interval: '1s' },
            hooks: { online: `cat > ${hookOut}`, restart: { url: 'http://u:hookpw@127.0.0.1:9/x' } },
          },
        ],
      }),
    );
    const r = await t.run(['start', config]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => existsSync(hookOut) && readFileSync(hookOut, 'utf8').endsWith('}'), 'the online hook');
  });
  after(async () => {
    await t.cleanup();
  });

  it('list, describe, env and the status file show none; --show-secrets shows them', async () => {
    for (const args of [
      ['list', '--json'],
      ['describe', 'vault', '--json'],
      ['describe', 'vault'],
      ['env', 'vault'],
    ]) {
      const r = await t.run(args);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(leaks(r.stdout), [], `tend ${args.join(' ')}`);
    }
    type Detail = Array<{ spec: { env: Record<string, string> }; tree: Array<{ command: string }> }>;
    const d = await waitFor(
      async () => {
        const got = JSON.parse((await t.run(['describe', 'vault', '--json'])).stdout) as Detail;
        return (got[0]?.tree.length ?? 0) > 0 ? got : undefined;
      },
      "a sample of the app's process tree",
      15_000,
      200,
    );
    assert.deepEqual(leaks(JSON.stringify(d)), []);
    assert.equal(d[0]?.spec.env.REDIS_URL, 'redis://:[redacted]@db:6379/0');
    assert.match(d[0]?.tree[0]?.command ?? '', /postgres:\/\/u:\[redacted\]@h\/db/, 'the sampled command line too');
    assert.deepEqual(leaks(readFileSync(join(t.home, 'status.json'), 'utf8')), []);
    const shown = await t.run(['describe', 'vault', '--json', '--show-secrets']);
    assert.deepEqual(leaks(shown.stdout).sort(), [...SECRETS].sort());
  });

  it("the hook's payload shows none", () => {
    const payload = readFileSync(hookOut, 'utf8');
    assert.equal((JSON.parse(payload) as { app: string }).app, 'vault');
    assert.deepEqual(leaks(payload), []);
  });

  it('the web API and /metrics show none', async () => {
    const r = await t.run(['web', '--port', String(await freePort()), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const web = JSON.parse(r.stdout) as { url: string; token: string };
    for (const path of ['api/processes', 'api/processes/vault', 'metrics']) {
      const res = await fetch(new URL(path, web.url), { headers: { authorization: `Bearer ${web.token}` } });
      const body = await res.text();
      assert.equal(res.status, 200, `${path}: ${body}`);
      assert.deepEqual(leaks(body), [], path);
    }
  });

  it('systemd, Kubernetes and Compose keep REDIS_URL (a URL password) with the named secrets', async () => {
    const units = join(dir, 'units');
    const s = await t.run(['export', 'systemd', 'vault', '--out', units]);
    assert.equal(s.code, 0, s.stderr);
    const files = readdirSync(units);
    const unit = files.find((f) => f.endsWith('.service')) as string;
    assert.deepEqual(variableLeaks(readFileSync(join(units, unit), 'utf8')), [], 'the unit (world-readable) holds no secret variable');
    const envFile = files.find((f) => f.endsWith('.env')) as string;
    assert.match(readFileSync(join(units, envFile), 'utf8'), /REDIS_URL=.*hunter2/);

    const k = await t.run(['export', 'kubernetes', 'vault', '--image', 'img:1']);
    assert.equal(k.code, 0, k.stderr);
    type Obj = { kind: string; data?: Record<string, string>; stringData?: Record<string, string> };
    const objects = parseAllDocuments(k.stdout).map((doc) => doc.toJS() as Obj);
    const cm = objects.find((o) => o.kind === 'ConfigMap');
    assert.equal(cm?.data?.REDIS_URL, undefined, 'not in the ConfigMap');
    assert.deepEqual(leaks(JSON.stringify(cm)), []);
    assert.equal(objects.find((o) => o.kind === 'Secret')?.stringData?.REDIS_URL, 'redis://:hunter2@db:6379/0');

    const out = join(dir, 'compose');
    const c = await t.run(['export', 'compose', 'vault', '--image', 'img:1', '--out', out]);
    assert.equal(c.code, 0, c.stderr);
    const file = readFileSync(join(out, 'compose.yaml'), 'utf8');
    assert.match(file, /REDIS_URL: "\$\{REDIS_URL\}"/);
    assert.deepEqual(variableLeaks(file), [], 'compose.yaml (0644) holds no secret variable');
    assert.match(readFileSync(join(out, '.env'), 'utf8'), /REDIS_URL='redis:\/\/:hunter2@db:6379\/0'/);
    rmSync(out, { recursive: true, force: true });
  });
});
