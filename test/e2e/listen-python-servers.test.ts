import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { needs } from '../helpers/needs.js';
import { ROOT, TendHome, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';
import { getFresh, startLoad } from '../helpers/load-loop.js';

interface Row extends ProcessJson {
  holderPid?: number | null;
}

/** Debian's python3-uvicorn and gunicorn live with the system python, not a pyenv one. */
const PY = '/usr/bin/python3';
const has = (mod: string): boolean => {
  try {
    execFileSync(PY, ['-c', `import ${mod}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = ['uvicorn', 'gunicorn'].filter((m) => !has(m));

const WSGI = (version: string): string => `import os
def app(environ, start_response):
    body = f"${version} {os.getpid()}\\n".encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
`;
/** A stdlib server on fd 3 that reports whether the connection it accepted has TCP_NODELAY. */
const NODELAY = `import os, socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.recv(65536)
    v = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    body = f"nodelay={1 if v else 0}\\n".encode()
    c.sendall(b"HTTP/1.1 200 OK\\r\\nConnection: close\\r\\nContent-Length: " + str(len(body)).encode() + b"\\r\\n\\r\\n" + body)
    c.close()
`;

async function reqPerSecond(port: number): Promise<number> {
  const load = startLoad(port, 16);
  await waitFor(() => load.snapshot().ok > 100, 'load to flow');
  const a = load.snapshot().ok;
  const t0 = Date.now();
  await waitFor(() => Date.now() - t0 >= 3000, '3 s of load');
  const b = load.snapshot().ok;
  const res = await load.stop();
  assert.equal(res.failed, 0, JSON.stringify(res.errors));
  return ((b - a) * 1000) / (Date.now() - t0);
}

const req = needs(
  missing.length > 0 ? `${missing.join(', ')} not installed (scripts/test.sh installs python3-uvicorn and gunicorn)` : null,
);

describe('--listen with real Python servers (uvicorn, gunicorn)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-pysrv-'));
  const t = new TendHome();
  let uvPort = 0;
  after(() => {
    t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const track = (rows: Row[]): void => {
    for (const r of rows) t.remember(r);
    if (typeof rows[0]?.holderPid === 'number') t.track(rows[0].holderPid);
  };

  req.it('connections accepted from a held TCP socket have TCP_NODELAY', async () => {
    writeFileSync(join(dir, 'nodelay.py'), NODELAY);
    const port = await freePort();
    track(await t.json<Row[]>(['start', '--name', 'nd', '--cwd', dir, '--listen', `127.0.0.1:${port}`, '--', PY, 'nodelay.py']));
    await waitFor(async () => (await getFresh(port)) !== undefined, 'the app to answer');
    assert.equal((await getFresh(port))?.trim(), 'nodelay=1');
    await t.run(['delete', 'nd']);
  });

  req.it('uvicorn --fd 3 serves at least half the requests/s of uvicorn on its own port (was 0.08x)', async () => {
    assert.deepEqual(missing, []);
    copyFileSync(join(ROOT, 'test', 'fixtures', 'python', 'asgi.py'), join(dir, 'asgi.py'));
    const own = await freePort();
    const direct = spawn(PY, ['-m', 'uvicorn', 'asgi:app', '--no-access-log', '--port', String(own)], { cwd: dir, stdio: 'ignore' });
    let ownRate = 0;
    try {
      await waitFor(async () => (await getFresh(own)) !== undefined, 'uvicorn on its own port');
      ownRate = await reqPerSecond(own);
    } finally {
      direct.kill('SIGKILL');
    }
    const port = await freePort();
    uvPort = port;
    track(
      await t.json<Row[]>([
        'start',
        '--name',
        'uv',
        '--cwd',
        dir,
        '--listen',
        `127.0.0.1:${port}`,
        '--',
        PY,
        '-m',
        'uvicorn',
        'asgi:app',
        '--fd',
        '3',
        '--no-access-log',
      ]),
    );
    await waitFor(async () => (await getFresh(port)) !== undefined, 'uvicorn on fd 3');
    const heldRate = await reqPerSecond(port);
    assert.ok(heldRate >= 0.5 * ownRate, `fd 3: ${heldRate.toFixed(0)} req/s, own port: ${ownRate.toFixed(0)} req/s`);
  });

  req.it(
    'uvicorn: 3 reloads under 16 keep-alive connections fail no request (uvicorn closes idle keep-alive connections on SIGTERM)',
    async () => {
      assert.notEqual(uvPort, 0, 'uvicorn runs from the test before');
      const rows = ((await t.list()) as Row[]).filter((r) => r.name === 'uv');
      const before = rows.map((r) => r.pid);
      const load = startLoad(uvPort, 16);
      try {
        await waitFor(() => load.snapshot().ok > 200, 'load to flow');
        for (let i = 0; i < 3; i++) {
          const r = await t.run(['reload', 'uv']);
          assert.equal(r.code, 0, r.stderr);
          const mid = load.snapshot().ok;
          await waitFor(() => load.snapshot().ok > mid + 100, 'load to flow after the reload');
        }
      } finally {
        const res = await load.stop();
        assert.equal(res.failed, 0, JSON.stringify(res.errors));
        const pids = [...res.bodies.keys()].map((b) => b.split(' ')[1]);
        assert.ok(pids.length >= 4, `answers came from the old and the new processes: ${pids.join(', ')}`);
      }
      const after = ((await t.list()) as Row[]).filter((r) => r.name === 'uv');
      for (const r of after) t.remember(r);
      assert.ok(
        after.every((r) => !before.includes(r.pid)),
        'the process was replaced',
      );
      await t.run(['delete', 'uv']);
    },
  );

  req.it(
    'gunicorn --preload on LISTEN_FDS: READY=1 comes after the app imported, so a broken version fails the reload and the old one serves',
    async () => {
      writeFileSync(join(dir, 'wsgi.py'), WSGI('v1'));
      const port = await freePort();
      track(
        await t.json<Row[]>([
          'start',
          '--name',
          'gu',
          '--cwd',
          dir,
          '--listen',
          `127.0.0.1:${port}`,
          '--wait-ready',
          '--listen-timeout',
          '20s',
          '--',
          PY,
          '-m',
          'gunicorn',
          '--preload',
          '-w',
          '2',
          'wsgi:app',
        ]),
      );
      assert.match((await getFresh(port)) ?? '', /^v1 /);
      writeFileSync(join(dir, 'wsgi.py'), 'raise RuntimeError("broken deploy")\n');
      const load = startLoad(port, 4);
      try {
        await waitFor(() => load.snapshot().ok > 50, 'load to flow');
        const r = await t.run(['reload', 'gu']);
        assert.equal(r.code, 1, `the reload of a broken version must fail: ${r.stdout} ${r.stderr}`);
        assert.match((await getFresh(port)) ?? '', /^v1 /);
      } finally {
        const res = await load.stop();
        assert.equal(res.failed, 0, JSON.stringify(res.errors));
      }
      writeFileSync(join(dir, 'wsgi.py'), WSGI('v2'));
      const ok = await t.run(['reload', 'gu']);
      assert.equal(ok.code, 0, ok.stderr);
      await waitFor(async () => /^v2 /.test((await getFresh(port)) ?? ''), 'v2 to serve');
      await t.run(['delete', 'gu']);
    },
  );
});
