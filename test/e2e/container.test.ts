import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { KubeLab, labMissing } from '../helpers/kube-lab.js';
import { ROOT, waitFor } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';

const req = needs(labMissing());
const IMAGE = `localhost/tend-run-test:${process.pid}`;

/** Zombie children of a host pid (the container's PID 1 seen from the host). */
function zombiesOf(pid: number): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z' && Number(rest[1]) === pid) n += 1;
    } catch {
      /* gone */
    }
  }
  return n;
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    });
}

/** tend's runtime files: the bundles, the launcher and the production dependencies. */
function tendFolders(): Array<{ src: string; dest: string }> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const deps = new Set(Object.keys(pkg.dependencies));
  // Prebuilt binaries come in per-platform packages.
  for (const scope of ['@koromix', '@lydell']) {
    try {
      for (const d of readdirSync(join(ROOT, 'node_modules', scope))) if (d.includes('linux')) deps.add(`${scope}/${d}`);
    } catch {
      /* not installed */
    }
  }
  return [
    { src: join(ROOT, 'bin'), dest: '/opt/tend/bin' },
    { src: join(ROOT, 'package.json'), dest: '/opt/tend/package.json' },
    // Every runtime bundle (the CLI, its commands, the daemon, holders, the hook apps load), as the package ships them.
    ...['commands', ...readdirSync(join(ROOT, 'dist')).filter((f) => f.endsWith('.cjs'))].map((f) => ({
      src: join(ROOT, 'dist', f),
      dest: `/opt/tend/dist/${f}`,
    })),
    ...[...deps].map((d) => ({ src: join(ROOT, 'node_modules', d), dest: `/opt/tend/node_modules/${d}` })),
    { src: join(ROOT, 'test', 'fixtures', 'container'), dest: '/app' },
    // The supervisor makes its stdio FIFOs with mkfifo (coreutils, in every Debian-based image).
    ...withLibraries(execFileSync('sh', ['-c', 'command -v mkfifo'], { encoding: 'utf8' }).trim()),
  ];
}

/** A program (into /bin) and the shared libraries it loads (each to its own path). */
function withLibraries(program: string): Array<{ src: string; dest: string }> {
  const libs = [...execFileSync('ldd', [program], { encoding: 'utf8' }).matchAll(/(\/\S+)/g)].map((m) => m[1] as string);
  // The image's PATH is /usr/local/bin:/bin.
  return [
    { src: realpathSync(program), dest: `/bin/${program.split('/').pop() as string}` },
    ...libs.map((f) => ({ src: realpathSync(f), dest: f })),
  ];
}

describe('tend run as PID 1 in a podman container', () => {
  let lab: KubeLab;
  const names: string[] = [];
  const inspect = async (name: string, field: string): Promise<string> =>
    (await lab.podman('inspect', '--format', `{{${field}}}`, name)).stdout.trim();

  req.before(async () => {
    lab = new KubeLab();
    await lab.image(IMAGE, tendFolders());
  });
  req.after(async () => {
    for (const n of names) await lab.podman('rm', '-f', '-t', '0', n);
    await lab.cleanup();
  });

  req.it('reaps orphans, stops every app gracefully on podman stop, exits 0, JSON log lines', async () => {
    const name = `tend-run-${process.pid}-a`;
    names.push(name);
    const r = await lab.podman(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      IMAGE,
      'node',
      '/opt/tend/bin/tend',
      'run',
      '/app/ecosystem.config.js',
      '--log-format',
      'json',
    );
    assert.equal(r.code, 0, r.stderr);
    const pid1 = Number(await inspect(name, '.State.Pid'));
    assert.ok(pid1 > 0);
    const logs = async (): Promise<string> => {
      const l = await lab.podman('logs', name);
      return l.stdout + l.stderr;
    };
    await waitFor(async () => (await logs()).includes('"message":"orphan 8"'), 'the orphaner to make 8 orphans', 60_000);
    // The orphans (re-parented to PID 1) run 300 ms each; once they are all gone, PID 1's only
    // children are the two apps, and none of the eight is left a zombie.
    await waitFor(() => childrenOf(pid1).length === 2 && zombiesOf(pid1) === 0, 'only the apps left under PID 1, no zombie', 30_000, 100);
    assert.equal(zombiesOf(pid1), 0);
    const stop = await lab.podman('stop', '-t', '10', name);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await inspect(name, '.State.ExitCode'), '0');
    const lines = (await logs())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { app: string; message: string; stream: string; time: string });
    assert.ok(
      lines.some((l) => l.app === 'web' && l.message === 'web: closed'),
      `web stopped gracefully: ${JSON.stringify(lines.filter((l) => l.app !== 'orphaner'))}`,
    );
    assert.ok(lines.some((l) => l.app === 'tend' && /SIGTERM: stopping 2 apps/.test(l.message)));
    assert.ok(lines.every((l) => typeof l.time === 'string' && (l.stream === 'out' || l.stream === 'err')));
  });

  req.it('exits 1 by itself when an app reaches errored', async () => {
    const name = `tend-run-${process.pid}-b`;
    names.push(name);
    const r = await lab.podman(
      'run',
      '--name',
      name,
      '--network',
      'none',
      IMAGE,
      'node',
      '/opt/tend/bin/tend',
      'run',
      '/app/crashing.config.js',
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /crashy errored/);
    assert.match(r.stdout, /^crashy \| crashing$/m);
  });
});
