import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { commandMissing, needs } from '../helpers/needs.js';
import { getFresh, startLoad, type LoadResult } from '../helpers/load-loop.js';
import { TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  instance?: number;
  holderPid?: number | null;
}

/** Runs `fn` under keep-alive load (`concurrency` connections); the load's result once it is stopped. */
async function underLoad(
  port: number,
  concurrency: number,
  fn: (load: ReturnType<typeof startLoad>) => Promise<void>,
): Promise<LoadResult> {
  const load = startLoad(port, concurrency);
  try {
    await waitFor(() => load.snapshot().ok > 20, 'load to flow');
    await fn(load);
  } finally {
    await load.stop();
  }
  return load.snapshot();
}

/**
 * Three reloads of `app` (to version v2) under keep-alive load: every one succeeds, every process
 * is replaced, no request fails and v2 answers.
 */
async function reloadThrice(t: TendHome, app: string, port: number): Promise<LoadResult> {
  const rows = async (): Promise<Row[]> => ((await t.list()) as Row[]).filter((p) => p.name === app);
  const result = await underLoad(port, 8, async (load) => {
    for (let i = 0; i < 3; i++) {
      const before = (await rows()).map((r) => r.pid);
      const r = await t.run(['reload', app]);
      assert.equal(r.code, 0, r.stderr);
      const now = await rows();
      for (const row of now) {
        assert.ok(!before.includes(row.pid), `reload ${i + 1} replaced every process: ${JSON.stringify(now)}`);
        t.remember(row);
      }
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 20, 'load to flow after the reload');
    }
  });
  assert.equal(result.failed, 0, JSON.stringify(result.errors));
  assert.ok(
    [...result.bodies.keys()].some((b) => b.startsWith('v2 ')),
    `the new version served: ${JSON.stringify([...result.bodies])}`,
  );
  return result;
}

function post(port: number, path: string, body: Buffer, chunked: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    if (!chunked) req.setHeader('content-length', body.length);
    // Written in 1 MiB pieces: with chunked set, each is one chunk on the wire.
    for (let at = 0; at < body.length; at += 1 << 20) req.write(body.subarray(at, at + (1 << 20)));
    req.end();
  });
}

function get(port: number, path: string, agent: http.Agent | false): Promise<{ body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

const py = needs(commandMissing('python3', ['-c', 'import http.server']));

describe('proxy mode: apps that bind their own $PORT (python3 http.server)', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-proxy-py-'));
  let port = 0;
  const rows = async (): Promise<Row[]> => ((await t.list()) as Row[]).filter((p) => p.name === 'py');

  py.before(async () => {
    port = await freePort();
    writeFileSync(join(dir, 'version.txt'), 'v1\n');
  });
  py.after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  py.it('serves the public port from an instance on its private $PORT', async () => {
    const started = await t.json<Row[]>([
      'start',
      fixture('proxy-py.py'),
      '--name',
      'py',
      '--cwd',
      dir,
      '--proxy',
      `127.0.0.1:${port}`,
      '--health',
      `http://127.0.0.1:${port}/health`,
    ]);
    assert.equal(started[0]?.status, 'online', JSON.stringify(started));
    t.track(started[0]?.holderPid as number);
    const body = await waitFor(() => getFresh(port), 'the app to answer through the proxy');
    assert.equal(body, `v1 ${started[0]?.pid}\n`);
  });

  py.it('reloads 3 times under keep-alive load with 0 failed requests', async () => {
    writeFileSync(join(dir, 'version.txt'), 'v2\n');
    const result = await reloadThrice(t, 'py', port);
    // Every process of the run answered (1 start + 3 reloads): connections moved.
    assert.ok(result.bodies.size >= 4, JSON.stringify([...result.bodies]));
  });

  py.it('rolls back a reload to a version that fails to start: the old one keeps serving, reload exits 1', async () => {
    const [old] = await rows();
    writeFileSync(join(dir, 'version.txt'), 'crash\n');
    let r = { code: -1, stdout: '', stderr: '' };
    const result = await underLoad(port, 4, async () => {
      r = await t.run(['reload', 'py']);
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(result.failed, 0, JSON.stringify(result.errors));
    const [now] = await rows();
    assert.equal(now?.pid, old?.pid);
    assert.equal(now?.status, 'online');
    assert.equal(await getFresh(port), `v2 ${old?.pid}\n`);
    const described = await t.run(['describe', 'py']);
    assert.match(described.stdout, /reload/i);
    assert.match(described.stdout, /exited with code 1 before it was ready/);
    writeFileSync(join(dir, 'version.txt'), 'v2\n');
  });

  py.it(
    'sends the health check to the new instance: one that listens but fails it never gets traffic, and the reload rolls back',
    async () => {
      const [old] = await rows();
      writeFileSync(join(dir, 'version.txt'), 'unhealthy\n');
      let r = { code: -1, stdout: '', stderr: '' };
      const result = await underLoad(port, 4, async () => {
        r = await t.run(['reload', 'py']);
      });
      writeFileSync(join(dir, 'version.txt'), 'v2\n');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(result.failed, 0, JSON.stringify(result.errors));
      assert.ok(![...result.bodies.keys()].some((b) => b.startsWith('unhealthy')), JSON.stringify([...result.bodies]));
      assert.equal((await rows())[0]?.pid, old?.pid);
      assert.match((await t.run(['describe', 'py'])).stdout, /not ready within listen_timeout/);
    },
  );

  py.it('refuses no connection when its only instance is killed: new connections wait for the restart', async () => {
    const [old] = await rows();
    const result = await underLoad(port, 8, async (load) => {
      process.kill(old?.pid as number, 'SIGKILL');
      await waitFor(async () => {
        const [now] = await rows();
        return now?.status === 'online' && now.pid !== old?.pid;
      }, 'the instance to be restarted');
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 50, 'load to flow after the restart');
    });
    for (const row of await rows()) t.remember(row);
    // Only the requests the killed process was serving can fail (8 connections).
    assert.equal(result.errors.ECONNREFUSED ?? 0, 0, JSON.stringify(result.errors));
    assert.ok(result.failed <= 8, JSON.stringify(result.errors));
  });

  py.it('keeps serving through a daemon kill -9 under load; the next daemon lists it and reloads it', async () => {
    const [old] = await rows();
    const result = await underLoad(port, 8, async (load) => {
      const daemon = t.daemonPid() as number;
      process.kill(daemon, 'SIGKILL');
      await waitFor(() => !isAlive(daemon), 'the daemon to die');
      const mid = load.snapshot().ok;
      await waitFor(() => load.snapshot().ok > mid + 100, 'traffic to flow with no daemon');
      const [now] = await rows();
      assert.equal(now?.pid, old?.pid);
      assert.equal(now?.status, 'online');
      const r = await t.run(['reload', 'py']);
      assert.equal(r.code, 0, r.stderr);
      for (const row of await rows()) t.remember(row);
    });
    assert.equal(result.failed, 0, JSON.stringify(result.errors));
  });
});

describe('proxy mode: a Node http server with -i 2 (keep-alive, chunked, uploads, websockets)', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-proxy-node-'));
  let port = 0;

  before(async () => {
    port = await freePort();
    writeFileSync(join(dir, 'version.txt'), 'v1\n');
    const started = await t.json<Row[]>([
      'start',
      fixture('proxy-node.js'),
      '--name',
      'web',
      '--cwd',
      dir,
      '-i',
      '2',
      '--proxy',
      `127.0.0.1:${port}`,
    ]);
    assert.equal(started.length, 2, JSON.stringify(started));
    t.track(started[0]?.holderPid as number);
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads connections over both instances', async () => {
    const pids = new Set<string>();
    await waitFor(async () => {
      pids.add(((await getFresh(port)) ?? '').split(' ')[1]?.trim() ?? '');
      return pids.size >= 2 && !pids.has('');
    }, 'both instances to answer');
  });

  it('keeps one client connection for a keep-alive client and streams a chunked response as it was sent', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(port, '/conn', agent);
      const second = await get(port, '/conn', agent);
      assert.equal(first.body, second.body, 'the instance saw one connection for both requests');
      const chunked = await get(port, '/chunked', agent);
      assert.equal(chunked.headers['transfer-encoding'], 'chunked');
      assert.equal(chunked.body, [0, 1, 2, 3, 4].map((n) => `chunk ${n} of v1\n`).join(''));
    } finally {
      agent.destroy();
    }
  });

  it('passes a 50 MB upload through byte-exact, with a length and chunked', async () => {
    const body = randomBytes(50 * 1024 * 1024);
    const want = `${body.length} ${createHash('sha256').update(body).digest('hex')}`;
    assert.equal(await post(port, '/upload', body, false), want);
    assert.equal(await post(port, '/upload', body, true), want);
  });

  it('carries a websocket (socket.io, websocket transport: a real Upgrade) both ways', async () => {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      assert.equal(socket.io.engine.transport.name, 'websocket');
      for (let i = 0; i < 200; i++) assert.equal(await socket.emitWithAck('echo', `m${i}`), `v1:m${i}`);
    } finally {
      socket.disconnect();
    }
  });

  it('reloads 3 times under keep-alive load with 0 failed requests', async () => {
    writeFileSync(join(dir, 'version.txt'), 'v2\n');
    await reloadThrice(t, 'web', port);
  });
});

describe('proxy mode with --wait-ready: an instance gets traffic only once it says ready', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-proxy-ready-'));
  let port = 0;

  before(async () => {
    port = await freePort();
    writeFileSync(join(dir, 'version.txt'), 'v1\n');
    const r = await t.run(
      ['start', fixture('proxy-node.js'), '--name', 'late', '--cwd', dir, '--proxy', `127.0.0.1:${port}`, '--wait-ready', '--json'],
      { env: { ...t.env, READY_AFTER_MS: '700' } },
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Row[];
    for (const row of rows) t.remember(row);
    t.track(rows[0]?.holderPid as number);
  });
  after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never sends a request to an instance that listens but has not said ready, across 3 reloads', async () => {
    writeFileSync(join(dir, 'version.txt'), 'v2\n');
    const result = await reloadThrice(t, 'late', port);
    assert.ok(![...result.bodies.keys()].some((b) => b.startsWith('early')), JSON.stringify([...result.bodies]));
  });
});

/** Debian's python3-uvicorn lives with the system python. */
const uvicorn = needs(commandMissing('/usr/bin/python3', ['-c', 'import uvicorn'], 'scripts/test.sh installs python3-uvicorn'));
const ASGI = `with open("version.txt") as f:
    VERSION = f.read().strip()
if VERSION == "crash":
    raise SystemExit("this version fails at import")
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    import os
    body = f"{VERSION} {os.getpid()}\\n".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
`;

describe('proxy mode with uvicorn binding its own port (UVICORN_PORT through --proxy-port-env)', () => {
  const t = new TendHome();
  const dir = mkdtempSync(join(tmpdir(), 'tend-proxy-uv-'));
  let port = 0;

  uvicorn.before(async () => {
    port = await freePort();
    writeFileSync(join(dir, 'asgi.py'), ASGI);
    writeFileSync(join(dir, 'version.txt'), 'v1\n');
    const rows = await t.json<Row[]>([
      'start',
      '--name',
      'uv',
      '--cwd',
      dir,
      '--proxy',
      `127.0.0.1:${port}`,
      '--proxy-port-env',
      'UVICORN_PORT',
      '--listen-timeout',
      '20s',
      '--',
      '/usr/bin/python3',
      '-m',
      'uvicorn',
      'asgi:app',
      '--host',
      '127.0.0.1',
    ]);
    t.track(rows[0]?.holderPid as number);
  });
  uvicorn.after(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  uvicorn.it('reloads 3 times under keep-alive load with 0 failed requests, then rolls back a version that fails at import', async () => {
    assert.match((await waitFor(() => getFresh(port), 'uvicorn to answer')) ?? '', /^v1 \d+/);
    writeFileSync(join(dir, 'version.txt'), 'v2\n');
    await reloadThrice(t, 'uv', port);
    const [before] = ((await t.list()) as Row[]).filter((r) => r.name === 'uv');
    writeFileSync(join(dir, 'version.txt'), 'crash\n');
    let r = { code: -1, stdout: '', stderr: '' };
    const result = await underLoad(port, 4, async () => {
      r = await t.run(['reload', 'uv']);
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(result.failed, 0, JSON.stringify(result.errors));
    assert.equal(await getFresh(port), `v2 ${before?.pid}\n`);
  });
});
