import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { composeMissing, KubeLab, labMissing } from '../helpers/kube-lab.js';
import { ROOT, TendHome, freePort, waitFor } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';

// The README's example ecosystem file, exported and run by real consumers of the formats.
const EXAMPLE = join(ROOT, 'examples', 'ecosystem.config.cjs');
const req = needs(labMissing());
const withCompose = needs(req.missing ?? composeMissing());

async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

describe('exported manifests run for real (podman kube play, podman-compose)', () => {
  let t: TendHome;
  let lab: KubeLab;
  const image = `localhost/tend-example-${process.pid}:1`;
  req.before(async () => {
    t = new TendHome();
    lab = new KubeLab();
    // The image layout the export expects: the app's folder at --workdir (/app), node on PATH.
    await lab.image(image, [{ src: join(ROOT, 'examples'), dest: '/app' }]);
  });
  req.after(async () => {
    await lab?.cleanup();
    await t?.cleanup();
  });

  req.it('tend export kubernetes of the example file: podman kube play serves the web app once its readiness probe passes', async () => {
    const r = await t.run(['export', 'kubernetes', EXAMPLE, '--image', image, '--workdir', '/app']);
    assert.equal(r.code, 0, r.stderr);
    const web = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as any)
      .find((o) => o.kind === 'Deployment' && o.metadata.name === 'web');
    const probe = web.spec.template.spec.containers[0].readinessProbe.httpGet as { path: string; port: number };
    const host = await freePort();
    await lab.play(r.stdout, { [probe.port]: host });
    // podman 4.3 does not run readiness probes itself: the test performs the manifest's probe
    // (GET path on the container port, published on 127.0.0.1) until it passes, as a kubelet would.
    const ready = await waitFor(
      async () => {
        const res = await get(`http://127.0.0.1:${host}${probe.path}`);
        return res !== undefined && res.status >= 200 && res.status < 400 ? res : undefined;
      },
      'the readiness probe to pass',
      30_000,
      200,
    );
    assert.equal(ready.body, 'Hello world\n');
    const names = await lab.containers();
    const webName = names.find((n) => n.startsWith('web-pod') && n.endsWith('-web')) as string;
    const workerName = names.find((n) => n.startsWith('worker-pod') && n.endsWith('-worker')) as string;
    assert.ok(webName && workerName, names.join(' '));
    // The Secret and the ConfigMap reached the app's environment.
    const env = await lab.podman(
      'exec',
      webName,
      'node',
      '-e',
      'process.stdout.write([process.env.SESSION_SECRET, process.env.NODE_ENV, process.env.TEND_APP_NAME, process.cwd()].join(" "))',
    );
    assert.equal(env.stdout, 'change-me production web /app', env.stderr);
    const mem = await lab.podman('inspect', webName, '--format', '{{.HostConfig.Memory}}');
    assert.equal(mem.stdout.trim(), String(200 * 1024 * 1024), 'limits.memory from max_memory_restart');
    const worker = await lab.podman('inspect', workerName, '--format', '{{.State.Status}}');
    assert.equal(worker.stdout.trim(), 'running');
  });

  withCompose.it('tend export compose of the example file: podman-compose runs it and the exported healthcheck passes', async () => {
    const dir = join(lab.dir, 'compose');
    const r = await t.run(['export', 'compose', EXAMPLE, '--image', image, '--workdir', '/app', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    // Publish on 127.0.0.1 at a free port (the file publishes 3000:3000).
    const host = await freePort();
    const file = join(dir, 'compose.yaml');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /- "3000:3000"/);
    writeFileSync(file, text.replace('- "3000:3000"', `- "127.0.0.1:${host}:3000"`));
    const project = `tendlab${process.pid}`;
    await lab.composeUp(dir, project);
    const res = await waitFor(() => get(`http://127.0.0.1:${host}/`), 'the web service to answer', 30_000, 200);
    assert.equal(res.body, 'Hello world\n');
    const webName = (await lab.containers()).find((n) => n.startsWith(`${project}_web`)) as string;
    const hc = await waitFor(
      async () => ((await lab.podman('healthcheck', 'run', webName)).code === 0 ? true : undefined),
      'the exported healthcheck to pass',
      20_000,
      500,
    );
    assert.equal(hc, true);
    const env = await lab.podman('exec', webName, 'node', '-e', 'process.stdout.write(String(process.env.SESSION_SECRET))');
    assert.equal(env.stdout, 'change-me', 'the secret came from the .env file');
  });
});

if (req.missing !== null) console.log(`# kube-lab tests skipped: ${req.missing}`);
