import assert from 'node:assert/strict';
import { createServer as createHttp } from 'node:http';
import { createServer as createTcp, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freshHealth, nextHealth } from '../../src/health/health-state.js';
import { runProbe } from '../../src/health/probe.js';

const spec = {
  probe: { type: 'tcp' as const, host: '127.0.0.1', port: 1 },
  intervalMs: 1000,
  timeoutMs: 500,
  retries: 2,
  startPeriodMs: 5000,
};
const fail = { ok: false, message: 'connection refused' };
const pass = { ok: true, message: 'HTTP 200' };

describe('health policy', () => {
  it('ignores failures in start_period, then restarts after `retries` failures in a row', () => {
    let s = freshHealth(0);
    let d = nextHealth(s, fail, spec, 1000);
    assert.equal(d.next.failures, 0);
    assert.equal(d.next.status, 'starting');
    d = nextHealth(d.next, fail, spec, 6000);
    assert.equal(d.next.failures, 1);
    assert.equal(d.restart, null);
    d = nextHealth(d.next, fail, spec, 7000);
    assert.equal(d.next.status, 'unhealthy');
    assert.equal(d.restart, 'health check failed 2 times in a row (connection refused)');
    s = freshHealth(0);
    d = nextHealth(s, pass, spec, 100);
    assert.equal(d.ready, true);
    assert.equal(d.next.status, 'healthy');
    d = nextHealth(d.next, pass, spec, 200);
    assert.equal(d.ready, false, 'ready only once per run');
    d = nextHealth(d.next, fail, spec, 300);
    assert.equal(d.next.failures, 1, 'after a pass, failures count even inside start_period');
    assert.equal(d.next.status, 'healthy', 'one failure is not enough');
    d = nextHealth(d.next, pass, spec, 7000);
    assert.equal(d.next.failures, 0, 'a pass resets the count');
  });
});

describe('probes against real servers', () => {
  let http: ReturnType<typeof createHttp>;
  let tcp: Server;
  let silent: Server;
  let httpPort = 0;
  let tcpPort = 0;
  let silentPort = 0;
  const ctx = { cwd: '/', env: { PATH: '/usr/bin:/bin' }, timeoutMs: 300, asApp: (c: { file: string; args: string[] }) => c };
  before(async () => {
    http = createHttp((req, res) => {
      res.statusCode = req.url === '/bad' ? 503 : 200;
      res.end();
    });
    tcp = createTcp((s) => s.end());
    // Accepts and never answers an HTTP request.
    silent = createTcp(() => undefined);
    await Promise.all([http, tcp, silent].map((srv) => new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))));
    httpPort = (http.address() as { port: number }).port;
    tcpPort = (tcp.address() as { port: number }).port;
    silentPort = (silent.address() as { port: number }).port;
  });
  after(() => {
    http.close();
    tcp.close();
    silent.close();
    http.closeAllConnections();
  });

  it('http: 2xx passes, 5xx fails, no answer times out', async () => {
    assert.deepEqual(await runProbe({ type: 'http', url: `http://127.0.0.1:${httpPort}/ok` }, ctx), { ok: true, message: 'HTTP 200' });
    assert.deepEqual(await runProbe({ type: 'http', url: `http://127.0.0.1:${httpPort}/bad` }, ctx), { ok: false, message: 'HTTP 503' });
    assert.deepEqual(await runProbe({ type: 'http', url: `http://127.0.0.1:${silentPort}/` }, ctx), {
      ok: false,
      message: 'no answer within 300 ms',
    });
  });

  it('tcp: connect passes, refused fails', async () => {
    assert.equal((await runProbe({ type: 'tcp', host: '127.0.0.1', port: tcpPort }, ctx)).ok, true);
    const closed = createTcp();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.deepEqual(await runProbe({ type: 'tcp', host: '127.0.0.1', port }, ctx), { ok: false, message: 'connection refused' });
  });

  it('exec: exit 0 passes; a failure shows the last output line; a hang is killed at the timeout', async () => {
    assert.deepEqual(await runProbe({ type: 'exec', command: 'true' }, ctx), { ok: true, message: 'exit 0' });
    assert.deepEqual(await runProbe({ type: 'exec', command: 'echo db down >&2; exit 3' }, ctx), { ok: false, message: 'exit 3: db down' });
    assert.deepEqual(await runProbe({ type: 'exec', command: 'sleep 5' }, ctx), {
      ok: false,
      message: 'command did not finish within 300 ms',
    });
  });
});
