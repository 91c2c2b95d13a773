import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHttp } from '../lib/net.js';
import { pacedLoad } from '../lib/paced-load.js';
import { repoRoot } from '../lib/paths.js';
import { alternate, type Recorder, type Scenario } from '../lib/scenario.js';
import { withSession, type Session, type ToolName } from '../lib/session.js';
import { delay } from '../lib/timing.js';

/** Requests per second of the load during the reloads (modest: the machine is shared by builders). */
const RATE = 1000;
/** Next.js renders its page on the server: what this shared machine serves without a queue. */
const NEXT_RATE = 200;
/** Every kind and tool gets this long to be ready (a loaded machine starts `next start` slowly). */
const LISTEN_TIMEOUT = ['--listen-timeout', '30000'];
const PY = '/usr/bin/python3';

/** Files every kind may need, made once per run: a version file, a built Next.js app, a Go binary, Python apps. */
interface Prepared {
  dir: string;
  versionFile: string;
  nextApp: string | null;
  goBin: string | null;
}

interface AppKind {
  label: string;
  /** Requests per second of the load (a server-rendered page costs more than a hello world). */
  rate: number;
  /** Why this kind cannot run here, or null. */
  missing(p: Prepared): string | null;
  /** The start command of this kind for this tool: the way each tool's users run it. */
  startArgs(tool: ToolName, name: string, port: number, p: Prepared): string[];
}

const app = (file: string): string => join(repoRoot, 'test', 'fixtures', 'apps', file);
const pyHas = (mod: string): boolean => spawnSync(PY, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;

function nodeKind(label: string, file: string, instances: number): AppKind {
  return {
    label,
    rate: RATE,
    missing: () => null,
    startArgs: (_tool, name, port, p) => [
      'start',
      app(file),
      '--name',
      name,
      ...(instances > 1 ? ['-i', String(instances)] : []),
      '--',
      String(port),
      p.versionFile,
    ],
  };
}

/** A server bound by the app itself under PM2; under tend, on a socket tend holds (`--listen`). */
function listenKind(
  label: string,
  why: (p: Prepared) => string | null,
  own: (port: number, p: Prepared) => string[],
  onFd3: (p: Prepared) => string[],
  tendFlags: string[] = [],
): AppKind {
  return {
    label,
    rate: RATE,
    missing: why,
    startArgs: (tool, name, port, p) => {
      if (tool === 'pm2') {
        const [file, ...args] = own(port, p);
        return ['start', file as string, '--name', name, '--cwd', p.dir, '--interpreter', 'none', '--', ...args];
      }
      return ['start', '--name', name, '--cwd', p.dir, '--listen', `127.0.0.1:${port}`, ...tendFlags, '--', ...onFd3(p)];
    },
  };
}

const KINDS: readonly AppKind[] = [
  nodeKind('Express, one process', 'express-app.js', 1),
  nodeKind('Express, -i 2', 'express-app.js', 2),
  nodeKind('Fastify, one process', 'fastify-app.js', 1),
  nodeKind('Fastify, -i 2', 'fastify-app.js', 2),
  {
    label: 'Next.js (next start), one process',
    rate: NEXT_RATE,
    missing: (p) => (p.nextApp === null ? 'next build failed' : null),
    startArgs: (_tool, name, port, p) => [
      'start',
      join(p.nextApp as string, 'node_modules', 'next', 'dist', 'bin', 'next'),
      '--name',
      name,
      '--cwd',
      p.nextApp as string,
      '--',
      'start',
      '-p',
      String(port),
    ],
  },
  listenKind(
    'uvicorn (tend: --listen, --fd 3)',
    () => (pyHas('uvicorn') ? null : 'python3-uvicorn is not installed'),
    (port) => [PY, '-m', 'uvicorn', 'asgi:app', '--no-access-log', '--port', String(port)],
    () => [PY, '-m', 'uvicorn', 'asgi:app', '--no-access-log', '--fd', '3'],
  ),
  listenKind(
    'gunicorn --preload -w 2 (tend: --listen --wait-ready)',
    () => (pyHas('gunicorn') ? null : 'gunicorn is not installed'),
    (port) => [PY, '-m', 'gunicorn', '--preload', '-w', '2', '-b', `127.0.0.1:${port}`, 'wsgi:app'],
    () => [PY, '-m', 'gunicorn', '--preload', '-w', '2', 'wsgi:app'],
    ['--wait-ready'],
  ),
  listenKind(
    'Go net/http (tend: --listen)',
    (p) => (p.goBin === null ? 'go is not installed (golang-go)' : null),
    (port, p) => [p.goBin as string, p.versionFile, String(port)],
    (p) => [p.goBin as string, p.versionFile],
  ),
];

const metricOf = (kind: AppKind): string => `failed requests over 3 reloads: ${kind.label}`;
const notDoneOf = (kind: AppKind): string => `reloads of the 3 that did not complete: ${kind.label}`;

const WSGI = `import os
def app(environ, start_response):
    body = f"v1 {os.getpid()}\\n".encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
`;

function prepare(log: (m: string) => void): Prepared {
  const dir = mkdtempSync(join(tmpdir(), 'tend-bench-reload-apps-'));
  const versionFile = join(dir, 'version');
  writeFileSync(versionFile, 'v1');
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'python', 'asgi.py'), join(dir, 'asgi.py'));
  writeFileSync(join(dir, 'wsgi.py'), WSGI);
  let nextApp: string | null = join(dir, 'next-app');
  try {
    cpSync(join(repoRoot, 'test', 'fixtures', 'next-app'), nextApp, { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(nextApp, 'node_modules'));
    log('next build (once for both tools)…');
    execFileSync(process.execPath, [join(nextApp, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
      cwd: nextApp,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: 'ignore',
      timeout: 600_000,
    });
  } catch {
    nextApp = null;
  }
  let goBin: string | null = join(dir, 'go-server');
  const go = spawnSync('go', ['build', '-o', goBin, join(repoRoot, 'test', 'fixtures', 'go-server', 'main.go')], {
    env: { ...process.env, GOCACHE: join(dir, 'gocache'), GO111MODULE: 'off' },
    stdio: 'ignore',
    timeout: 300_000,
  });
  if (go.status !== 0) goBin = null;
  return { dir, versionFile, nextApp, goBin };
}

/** One kind under one tool: started, then 3 reloads 1 s apart under the paced load. */
async function reloadsUnderLoad(s: Session, kind: AppKind, p: Prepared, rec: Recorder): Promise<void> {
  const name = 'web';
  const port = await freePort();
  const args = kind.startArgs(s.tool, name, port, p);
  const dash = args.indexOf('--');
  await s.cliOk([...args.slice(0, dash), ...LISTEN_TIMEOUT, ...args.slice(dash)]);
  // Any answer (each kind says its version its own way).
  await waitForHttp(port, () => true, 60_000);
  await s.list();
  const load = pacedLoad(port, kind.rate);
  await delay(1000);
  const refused: string[] = [];
  for (let i = 0; i < 3; i++) {
    // A reload that rolled back fails nothing either: it is counted apart, never as a success.
    const r = await s.cli(['reload', name], 120_000);
    if (r.code !== 0) refused.push(`exit ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    await s.list();
    await delay(1000);
  }
  rec.add(notDoneOf(kind), s.tool, refused.length);
  for (const why of refused) rec.note(`${kind.label}, ${s.tool}: a reload did not complete (${why})`);
  await delay(1000);
  const res = await load.stop();
  rec.add(metricOf(kind), s.tool, res.failed);
  if (res.skipped > 0)
    rec.note(
      `${kind.label}, ${s.tool}: ${res.skipped} of ${res.sent + res.skipped} requests not sent (${kind.rate} req/s was more than this machine served)`,
    );
  await s.cli(['delete', name]);
}

export const reloadApps: Scenario = {
  name: 'reload-apps',
  description: `3 reloads of real apps (Express, Fastify, next start, uvicorn, gunicorn, Go) under a paced load of ${RATE} req/s (next start: ${NEXT_RATE}) over 16 keep-alive connections (127.0.0.1): failed requests, per app kind and mode`,
  defaultRounds: 1,
  metrics: [
    ...KINDS.map((k) => ({ metric: metricOf(k), unit: 'requests', target: '0' })),
    ...KINDS.map((k) => ({ metric: notDoneOf(k), unit: 'reloads', target: '0' })),
  ],
  async run(ctx, rec) {
    const p = prepare(ctx.log);
    try {
      const runnable = KINDS.filter((k) => {
        const why = k.missing(p);
        if (why !== null) rec.note(`${k.label}: not measured (${why})`);
        return why === null;
      });
      await alternate(ctx, rec, ctx.rounds, (tool) =>
        withSession(tool, async (s) => {
          await s.ensureDaemon();
          for (const kind of runnable) {
            ctx.log(`${tool.name}: ${kind.label}`);
            await reloadsUnderLoad(s, kind, p, rec);
          }
        }),
      );
    } finally {
      rmSync(p.dir, { recursive: true, force: true });
    }
  },
};
