import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';
import { fileMissing, needs } from '../helpers/needs.js';

interface Web {
  url: string;
  port: number;
  host: string;
  token: string;
}

/** A raw HTTP request (fetch forbids setting Host). */
function http(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...opts.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('tend web: JSON API, /metrics and security', () => {
  let t: TendHome;
  let web: Web;
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${web.token}` });
  before(async () => {
    t = new TendHome({ TEND_SAMPLE_IDLE_MS: '200' });
    await t.json(['start', fixture('numbered-lines.js'), '--name', 'lines', '--env', 'INTERVAL_MS=100', '--env', 'API_TOKEN=hunter2']);
    const r = await t.run(['web', '--port', String(await freePort()), '--json']);
    assert.equal(r.code, 0, r.stderr);
    web = JSON.parse(r.stdout) as Web;
  });
  after(async () => {
    await t.cleanup();
  });

  it('prints the URL and a token kept 0600 in the home', () => {
    assert.match(web.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(web.token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(statSync(join(t.home, 'web.token')).mode & 0o777, 0o600);
  });

  it('answers 401 and nothing else without the right token', async () => {
    for (const path of ['/api/processes', '/api/processes/lines', '/metrics', '/api/events']) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token-wrong' }, { authorization: `Basic ${web.token}` }]) {
        const r = await http(web.port, path, { headers });
        assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(r.body, 'Unauthorized\n');
      }
    }
    const post = await http(web.port, '/api/processes/lines/restart', { method: 'POST' });
    assert.equal(post.status, 401);
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin on actions', async () => {
    const r = await http(web.port, '/api/processes', { headers: { ...auth(), host: `evil.example:${web.port}` } });
    assert.equal(r.status, 403);
    const o = await http(web.port, '/api/processes/lines/restart', {
      method: 'POST',
      headers: { ...auth(), origin: 'http://evil.example' },
    });
    assert.equal(o.status, 403);
    assert.equal((await http(web.port, '/api/processes', { headers: { ...auth(), host: `localhost:${web.port}` } })).status, 200);
  });

  it('serves the page shell with a strict content security policy', async () => {
    const r = await http(web.port, '/');
    assert.equal(r.status, 200);
    assert.match(r.body, /<title>tend<\/title>/);
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
    assert.equal((await http(web.port, '/assets/uPlot.iife.min.js')).status, 200);
    // Assets come from a fixed in-memory list: no path reaches a file of the home.
    assert.equal((await http(web.port, '/assets/web.token')).status, 404);
    assert.equal((await http(web.port, '/assets/..%2fweb.token')).status, 404);
    assert.equal((await http(web.port, '/assets/../web.token')).status, 401);
  });

  it('lists apps with system info, describes one with secrets redacted and its history', async () => {
    const list = JSON.parse((await http(web.port, '/api/processes', { headers: auth() })).body) as {
      system: { cpus: number };
      processes: Array<{ name: string }>;
    };
    assert.ok(list.system.cpus >= 1);
    assert.deepEqual(
      list.processes.map((p) => p.name),
      ['lines'],
    );
    const d = await waitFor(async () => {
      const x = JSON.parse((await http(web.port, '/api/processes/lines', { headers: auth() })).body) as {
        process: { spec: { env: Record<string, string> } };
        metrics: { history: unknown[] };
      };
      return x.metrics.history.length >= 2 ? x : undefined;
    }, 'two points of history');
    assert.equal(d.process.spec.env.API_TOKEN, '[redacted]');
    const logs = await waitFor(async () => {
      const x = JSON.parse((await http(web.port, '/api/processes/lines/logs?lines=5', { headers: auth() })).body) as {
        lines: Array<{ message: string }>;
      };
      return x.lines.length >= 5 ? x : undefined;
    }, 'five log lines');
    assert.equal(logs.lines.length, 5);
    assert.match(logs.lines[0]?.message ?? '', /^line \d+$/);
    assert.equal((await http(web.port, '/api/processes/nope', { headers: auth() })).status, 404);
  });

  it('restarts an app with a POST that carries the token; GET is refused', async () => {
    assert.equal((await http(web.port, '/api/processes/lines/restart', { headers: auth() })).status, 405);
    const r = await http(web.port, '/api/processes/lines/restart', { method: 'POST', headers: auth() });
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { processes: Array<{ restarts: number }> }).processes[0]?.restarts, 1);
  });

  it('refuses a target that names several apps (a namespace) as it refuses all: 400, nothing done', async () => {
    for (const name of ['ns-a', 'ns-b']) await t.json(['start', fixture('forever.js'), '--name', name, '--namespace', 'pair']);
    const stop = await http(web.port, '/api/processes/pair/stop', { method: 'POST', headers: auth() });
    assert.equal(stop.status, 400, stop.body);
    assert.match((JSON.parse(stop.body) as { error: { message: string } }).error.message, /names 2 apps \(ns-a, ns-b\)/);
    assert.deepEqual(
      (await t.list()).filter((p) => p.name.startsWith('ns-')).map((p) => p.status),
      ['online', 'online'],
      'the POST stopped nothing',
    );
    assert.equal((await http(web.port, '/api/processes/pair', { headers: auth() })).status, 400);
    assert.equal((await http(web.port, '/api/processes/pair/logs', { headers: auth() })).status, 400);
    assert.equal((await http(web.port, '/api/processes/ns-a', { headers: auth() })).status, 200, 'one app by name still works');
    await t.json(['delete', 'pair']);
  });

  it('answers a lines parameter that is not a whole number with 400, not an empty list', async () => {
    for (const bad of ['abc', '-5', '1e3', '2.5', '']) {
      const r = await http(web.port, `/api/processes/lines/logs?lines=${bad}`, { headers: auth() });
      assert.equal(r.status, 400, `lines=${bad}: ${r.body}`);
      assert.match((JSON.parse(r.body) as { error: { message: string } }).error.message, /is not a whole number/);
    }
    const ok = await http(web.port, '/api/processes/lines/logs?lines=3', { headers: auth() });
    assert.equal((JSON.parse(ok.body) as { lines: unknown[] }).lines.length, 3);
    assert.equal((await http(web.port, '/api/processes/lines?since=yesterday', { headers: auth() })).status, 400);
  });

  it('streams state changes, metrics and log lines as server-sent events', async () => {
    const res = await fetch(`${web.url}api/events?logs=lines`, { headers: auth() });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const seen = new Set<string>();
    let text = '';
    let restarted = false;
    const deadline = Date.now() + 15_000;
    while (!(seen.has('processes') && seen.has('metrics') && seen.has('log:line') && seen.has('process:state')) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      for (const m of text.matchAll(/^event: (.+)$/gm)) seen.add(m[1] as string);
      if (!restarted && seen.has('metrics')) {
        restarted = true;
        await t.run(['restart', 'lines']);
      }
    }
    await reader.cancel();
    assert.deepEqual([...seen].sort(), ['log:line', 'metrics', 'process:state', 'processes']);
  });

  it('serves /metrics in the Prometheus text format', async () => {
    // After the restart above, wait for the new process's first sample.
    const r = await waitFor(async () => {
      const x = await http(web.port, '/metrics', { headers: auth() });
      return /^tend_app_memory_bytes\{app="lines"/m.test(x.body) ? x : undefined;
    }, 'a sampled memory figure');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^tend_app_up\{app="lines",id="0",namespace="default"\} 1$/m);
    assert.match(r.body, /^tend_app_memory_bytes\{app="lines",id="0",namespace="default"\} \d+$/m);
    assert.match(r.body, /^tend_app_restarts_total\{app="lines",id="0",namespace="default"\} \d+$/m);
    assert.match(r.body, /^tend_daemon_resident_memory_bytes \d+$/m);
  });

  needs(fileMissing('/usr/bin/promtool')).it('/metrics passes promtool check metrics', async () => {
    const r = await http(web.port, '/metrics', { headers: auth() });
    assert.equal(r.status, 200);
    // promtool exits non-zero on a format error or a lint problem, printing what it found.
    execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: r.body });
  });

  it('keeps serving, same port and token, across tend daemon restart; --stop stops it', async () => {
    const before = t.daemonPid();
    const r = await t.run(['daemon', 'restart']);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(t.daemonPid(), before);
    const ok = await waitFor(
      async () => (await http(web.port, '/api/processes', { headers: auth() }).catch(() => ({ status: 0 }))).status === 200,
      'the new daemon to serve',
    );
    assert.ok(ok);
    const status = JSON.parse((await t.run(['web', '--status', '--json'])).stdout) as Web;
    assert.equal(status.port, web.port);
    assert.equal(status.token, web.token);
    assert.equal((await t.run(['web', '--stop'])).code, 0);
    await assert.rejects(http(web.port, '/', {}));
  });

  it('refuses a bad port or host with a one-line error; warns for a non-loopback address', async () => {
    const bad = await t.run(['web', '--port', 'x']);
    assert.equal(bad.code, 2);
    const host = await t.run(['web', '--host', 'not a host', '--port', '0']);
    assert.equal(host.code, 2);
    assert.match(host.stderr, /--host/);
    const wide = await t.run(['web', '--host', '0.0.0.0', '--port', '0', '--json']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stderr, /warning: the dashboard listens on 0\.0\.0\.0/);
    await t.run(['web', '--stop']);
  });
});
